"""Nothing sent is lost or doubled: under a burst, a crash, an outage and a race.

These tests serve the app with gunicorn in its own process group, as production does, against
a private database of the same kind as the suite's: a SQLite file (WAL, IMMEDIATE transactions,
as a laptop runs it) or, when DATABASE_URL points at PostgreSQL, a database of its own on the
same cluster. People are threads with their own cookies, talking HTTP. bench/control.py
prepares rounds and counts what the database holds; bench/harness.py has the pieces.
"""

import http.client
import os
import threading
import time

import pytest

from bench.harness import (
    SENT,
    Client,
    Server,
    no_stack_trace,
    section_fields,
    start,
)

DATABASE_URL = os.environ.get("DATABASE_URL", "")
POSTGRESQL = DATABASE_URL.startswith(("postgres://", "postgresql://"))
# Three processes of four threads: twelve requests inside the app at once, writing together.
# --preload imports the app once before forking, so a server starts in about a second.
SERVING = {"workers": 3, "threads": 4, "gunicorn_args": ["--preload"]}


@pytest.fixture(scope="module")
def server(database, control, directory):
    with Server(database, directory, **SERVING) as server:
        yield server


def in_parallel(target, items) -> list:
    """Run target(item) for every item in its own thread; return the results in order."""
    results = [None] * len(items)

    def run(index, item):
        try:
            results[index] = target(item)
        except (OSError, http.client.HTTPException) as error:  # a reset is an outcome too
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, item)) for i, item in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def started(server, tokens) -> list[Client]:
    """People who opened their link and pressed Start, each with their own session."""
    people = [Client(server.base) for _ in tokens]
    replies = in_parallel(lambda pair: start(*pair), list(zip(people, tokens, strict=True)))
    assert [getattr(r, "status", r) for r in replies] == [302] * len(tokens)
    return people


def assert_no_server_errors(server, before: int = 0):
    assert server.server_errors() == before, server.log_tail()
    assert "database is locked" not in server.error_log_text()


def test_fifty_people_sending_at_the_same_moment_are_each_stored_once(server, control):
    prepared = control("prepare", invitations=50, answered=5, title="Fifty at once")
    people = started(server, prepared["tokens"])
    errors_before = server.server_errors()
    ready = threading.Barrier(len(people))
    last_page = section_fields(prepared["fields"]["6"], "no")

    def finish(person):
        ready.wait(30)
        saved = person.post("/respond/6/", last_page)
        sent = person.post("/respond/check/")
        return saved.status, sent.status, sent.location

    outcomes = in_parallel(finish, people)

    assert outcomes == [(302, 302, SENT)] * 50
    assert_no_server_errors(server, errors_before)
    audit = control("audit", round=prepared["round"])
    assert audit["submitted"] == 50
    assert audit["answers"] == 50 * 24
    assert audit["half_saved"] == 0
    assert audit["answers_per_question_over_one"] == 0


def test_a_server_killed_mid_burst_keeps_every_sent_response_and_drafts_resume(
    database, control, directory
):
    prepared = control("prepare", invitations=20, answered=5, title="Killed")
    tokens, last_page = prepared["tokens"], section_fields(prepared["fields"]["6"], "sometimes")
    first = Server(database, directory, **SERVING).start()
    try:
        people = started(first, tokens)
        sent_so_far = []
        ready = threading.Barrier(len(people) + 1)

        def finish(person):
            ready.wait(30)
            if person.post("/respond/6/", last_page).status != 302:
                return "not saved"
            reply = person.post("/respond/check/")
            if reply.status == 302 and reply.location == SENT:
                sent_so_far.append(person)
                return "sent"
            return reply.status

        burst = threading.Thread(target=lambda: outcomes.extend(in_parallel(finish, people)))
        outcomes: list = []
        burst.start()
        ready.wait(30)
        # SIGKILL the master and every worker part-way through, as a crash would.
        deadline = time.monotonic() + 20
        while len(sent_so_far) < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
        first.kill()
        burst.join(60)
    finally:
        first.kill()

    acknowledged = [t for t, outcome in zip(tokens, outcomes, strict=True) if outcome == "sent"]
    assert 3 <= len(acknowledged) < len(tokens), outcomes  # the kill fell inside the burst
    audit = control("audit", round=prepared["round"], tokens=tokens)
    for token in acknowledged:
        assert audit["tokens"][token]["state"] == "submitted"
    # Nothing half-saved: a response has five pages of answers or all six, never part of one.
    assert audit["half_saved"] == 0
    assert {t["answers"] for t in audit["tokens"].values()} <= {20, 24}
    assert all(
        len(options) == 1 for t in audit["tokens"].values() for options in t["by_section"].values()
    )

    def resume(token):
        """Open the link again: the draft resumes where it stopped; then send it."""
        person = Client(second.base)
        reply = start(person, token)
        if reply.status == 200 and "Your answers were sent" in reply.text:
            # Sent as the server died, before its reply left: the link says so, with no form.
            person.close()
            return SENT, SENT
        where = reply.location
        if where == "/respond/6/":
            reply = person.post("/respond/6/", last_page)
        if reply.location == "/respond/check/":
            reply = person.post("/respond/check/")
        person.close()
        return where, reply.location

    with Server(database, directory, **SERVING) as second:
        unsent = [t for t in tokens if t not in acknowledged]
        resumed = in_parallel(resume, unsent)
        assert second.server_errors() == 0, second.log_tail()
    for where, finally_at in resumed:
        assert where in ("/respond/6/", "/respond/check/", SENT)
        assert finally_at == SENT

    audit = control("audit", round=prepared["round"])
    assert audit["submitted"] == len(tokens)
    assert audit["answers"] == len(tokens) * 24
    assert audit["half_saved"] == 0


@pytest.mark.skipif(
    not POSTGRESQL,
    reason="SQLite is a local file: it cannot become unreachable on its own (PostgreSQL only)",
)
def test_the_database_going_away_shows_a_plain_page_and_the_next_request_works(
    server, control, database
):
    prepared = control("prepare", invitations=1, answered=2, title="Outage")
    person = started(server, prepared["tokens"])[0]
    assert person.get("/respond/3/").status == 200
    errors_before = server.server_errors()

    database.allow_connections(False)
    try:
        during = [person.get("/respond/3/"), person.get(f"/p/{prepared['tokens'][0]}/")]
    finally:
        database.allow_connections(True)

    for reply in during:
        assert reply.status in (500, 503)
        assert "Sorry, there is a problem with the service" in reply.text
        assert "Anything you had already saved is safe" in reply.text
        assert no_stack_trace(reply.text)
    assert server.server_errors() - errors_before == len(during)

    after = person.get("/respond/3/")
    assert after.status == 200
    assert "Way 3 of 6" in after.text
    saved = person.post("/respond/3/", section_fields(prepared["fields"]["3"]))
    assert saved.location == "/respond/4/"


def test_a_submit_racing_the_round_closing_is_either_sent_or_kept_as_a_draft(server, control):
    prepared = control("prepare", invitations=30, answered=6, title="Closing")
    people = started(server, prepared["tokens"])
    errors_before = server.server_errors()
    ready = threading.Barrier(len(people) + 1)

    def send(person):
        ready.wait(30)
        reply = person.post("/respond/check/")
        return reply.status, reply.location, "This round has closed" in reply.text

    closer = threading.Thread(
        target=lambda: (ready.wait(30), time.sleep(0.02), control("close", round=prepared["round"]))
    )
    closer.start()
    outcomes = in_parallel(send, people)
    closer.join(30)

    assert_no_server_errors(server, errors_before)
    sent = [o for o in outcomes if o == (302, SENT, False)]
    refused = [o for o in outcomes if o[0] == 409 and o[2]]
    assert len(sent) + len(refused) == len(people), outcomes
    audit = control("audit", round=prepared["round"], tokens=prepared["tokens"])
    assert audit["status"] == "closed"
    assert audit["sent_after_close"] == 0
    assert audit["submitted"] == len(sent)
    # Whoever was refused keeps every answer, as a draft.
    assert audit["drafts"] == len(refused)
    assert {t["answers"] for t in audit["tokens"].values()} == {24}


def test_a_double_press_of_start_or_send_stores_one_response(server, control):
    prepared = control("prepare", invitations=5, answered=0, title="Double start")
    for token in prepared["tokens"]:
        person = Client(server.base)
        person.get(f"/p/{token}/")
        tabs = [Client(server.base, cookies=dict(person.cookies)) for _ in range(2)]
        replies = in_parallel(lambda tab, token=token: tab.post(f"/p/{token}/"), tabs)
        assert [r.status for r in replies] == [302, 302]
    audit = control("audit", round=prepared["round"])
    assert audit["responses"] == 5
    assert audit["responses_per_link_over_one"] == 0

    prepared = control("prepare", invitations=5, answered=6, title="Double send")
    errors_before = server.server_errors()
    for person in started(server, prepared["tokens"]):
        presses = [Client(server.base, cookies=dict(person.cookies)) for _ in range(2)]
        replies = in_parallel(lambda press: press.post("/respond/check/"), presses)
        assert [(r.status, r.location) for r in replies] == [(302, SENT)] * 2
        # A third press, later, just shows where the person is.
        assert person.post("/respond/check/").location == SENT
    assert_no_server_errors(server, errors_before)
    audit = control("audit", round=prepared["round"])
    assert audit["submitted"] == 5
    assert audit["answers"] == 5 * 24
    assert audit["answers_per_question_over_one"] == 0


def test_the_same_page_saved_from_two_tabs_keeps_one_whole_version(server, control):
    prepared = control("prepare", invitations=1, answered=1, title="Two tabs")
    token = prepared["tokens"][0]
    person = started(server, [token])[0]
    names = prepared["fields"]["2"]
    tabs = [Client(server.base, cookies=dict(person.cookies)) for _ in range(2)]
    versions = [
        section_fields(names, "yes", action="save", comment="From the first tab"),
        section_fields(names, "no", action="save", comment="From the second tab"),
    ]
    errors_before = server.server_errors()
    for _ in range(10):
        replies = in_parallel(
            lambda pair: pair[0].post("/respond/2/", pair[1]),
            list(zip(tabs, versions, strict=True)),
        )
        assert [r.status for r in replies] == [200, 200]
        saved = control("audit", round=prepared["round"], tokens=[token])["tokens"][token]
        # One tab's page wins whole: its answers and its comment, never a mix of the two.
        assert saved["answers"] == 4 + len(names)
        assert saved["by_section"]["2"] in (["yes"], ["no"])
        expected = (
            "From the first tab" if saved["by_section"]["2"] == ["yes"] else "From the second tab"
        )
        assert saved["comments"] == [expected]
    assert_no_server_errors(server, errors_before)
