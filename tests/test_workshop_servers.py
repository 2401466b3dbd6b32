"""One workshop across two app servers on one database: the facilitator on one, phones on
either, the screen on the other. Nothing is kept in a process, so it makes no difference which
server answers (docs/adr/0012). Served by gunicorn as production is, against a private
database of the suite's kind; on PostgreSQL this is the load-balanced set-up."""

import os
import re

import pytest

from bench.harness import Client, Server

DATABASE_URL = os.environ.get("DATABASE_URL", "")
SERVING = {"workers": 1, "threads": 2, "gunicorn_args": ["--preload"]}


@pytest.fixture(scope="module")
def servers(database, control, directory):
    with (
        Server(database, directory, **SERVING) as one,
        Server(database, directory, **SERVING) as two,
    ):
        yield one, two


def test_one_workshop_runs_across_two_app_servers(servers, control):
    one, two = servers
    prepared = control("prepare", invitations=0, title="Two servers", mode="collective")
    round_id = prepared["round"]
    session = control("session", rounds=[round_id])
    facilitator = {
        server: Client(server.base, cookies={session["cookie"]: session["value"]})
        for server in (one, two)
    }
    control_page = f"/rounds/{round_id}/workshop/"
    assert facilitator[one].get(control_page).status == 200  # the start page, and a CSRF cookie
    started = facilitator[one].post(control_page, {"pace": "question"})
    assert started.status == 302
    facilitator[two].cookies.update(facilitator[one].cookies)
    page = facilitator[two].get(control_page).text  # the other server sees it running
    code = re.search(r'id="join-code">(\w+)<', page).group(1)

    phones = []
    for n in range(6):
        server = (one, two)[n % 2]
        phone = Client(server.base)
        assert phone.get("/w/").status == 200
        assert phone.post("/w/", {"code": code}).status == 302
        phone.get(f"/w/{code}/")
        assert phone.post(f"/w/{code}/", {}).status == 302
        phones.append(phone)

    assert (
        facilitator[two].post(f"/rounds/{round_id}/workshop/open/", {"item": "1.1"}).status == 302
    )
    for n, phone in enumerate(phones):
        # Each phone's next request goes to the other server.
        other = Client((two, one)[n % 2].base, cookies=dict(phone.cookies))
        assert 'name="q1_1"' in other.get(f"/w/{code}/room/").text
        assert other.post(f"/w/{code}/vote/", {"q1_1": ("yes", "no")[n % 2]}).status == 302
        phones[n] = other

    screen = facilitator[one].get(f"/rounds/{round_id}/workshop/screen/live/")
    assert "6 of 6</strong> voted" in screen.text
    # An ETag from one server is as good on the other: the state is in the database.
    again = facilitator[two].get(
        f"/rounds/{round_id}/workshop/screen/live/",
        headers={"If-None-Match": screen.headers["etag"]},
    )
    assert again.status == 304

    assert facilitator[one].post(f"/rounds/{round_id}/workshop/reveal/").status == 302
    shown = phones[0].get(f"/w/{code}/live/").text
    assert 'data-spread="1.1"' in shown
    version = re.search(r'name="version" value="(\d+)"', facilitator[two].get(control_page).text)
    agreed = facilitator[two].post(
        f"/rounds/{round_id}/workshop/agree/",
        {"question": "1.1", "option": "sometimes", "version": version.group(1)},
    )
    assert agreed.status == 302
    assert facilitator[one].post(f"/rounds/{round_id}/workshop/end/").status == 302

    held = control("workshop", round=round_id)
    assert (held["workshops"], held["seats"], held["votes"], held["kept"]) == (1, 6, 6, 6)
    assert held["agreed"] == [["1.1", "sometimes"]]
