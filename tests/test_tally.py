"""The tally of sent answers that the results read: kept at each submit, and always equal to a
fresh count of the sent answers, whatever path changed them."""

import datetime
import importlib
import os
import threading
import types
from collections import Counter

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sixways.accounts.retention import apply_retention
from sixways.instruments.models import Option, Question
from sixways.results import queries
from sixways.rounds.agreed import agreed_response, save_agreed
from sixways.rounds.answering import AlreadySubmitted, submit
from sixways.rounds.fixtures import respond
from sixways.rounds.models import Answer, Invitation, Mode, Response, Status, Tally
from sixways.rounds.tally import rebuild_tally
from tests.conftest import make_round


def on_postgresql() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def fresh_count(round_) -> Counter:
    """What the tally must hold: the round's sent answers, counted the slow way."""
    return Counter(
        Answer.objects.filter(
            response__round=round_, response__state=Response.State.SUBMITTED
        ).values_list("response__organisation", "question", "option")
    )


def tally(round_) -> Counter:
    rows = Tally.objects.filter(round=round_).values_list(
        "organisation", "question", "option", "count"
    )
    kept = Counter()
    for organisation, question, option, n in rows:
        assert n > 0
        assert (organisation, question, option) not in kept  # one row a key, NULL included
        kept[(organisation, question, option)] = n
    return kept


def draft(round_, organisation, scores: list[int]) -> Response:
    """A draft answering the first len(scores) questions, as the question pages save them."""
    invitation, _ = Invitation.issue(round_, organisation)
    response = Response.objects.create(
        round=round_, invitation=invitation, organisation=organisation
    )
    options = {o.score: o for o in Option.objects.filter(instrument_id=round_.instrument_id)}
    questions = Question.objects.filter(instrument_id=round_.instrument_id)
    Answer.objects.bulk_create(
        Answer(response=response, question=q, option=options[score])
        for q, score in zip(questions, scores, strict=False)
    )
    return response


def test_submit_adds_the_responses_answers_to_the_tally(open_round, organisations):
    first = draft(open_round, organisations[0], [3] * 24)
    submit(first)
    yes = Option.objects.get(instrument=open_round.instrument, score=3)
    assert tally(open_round) == fresh_count(open_round)
    assert set(tally(open_round).values()) == {1}
    assert {option for _, _, option in tally(open_round)} == {yes.pk}
    submit(draft(open_round, organisations[0], [3] * 12 + [0] * 12))
    submit(draft(open_round, organisations[1], [1] * 24))
    draft(open_round, organisations[1], [2] * 24)  # a draft is not counted
    kept = tally(open_round)
    assert kept == fresh_count(open_round)
    assert sum(kept.values()) == 3 * 24
    assert max(kept.values()) == 2  # the first 12 questions: Yes from both Council responses


def test_responses_without_an_organisation_add_up_in_one_row(open_round, organisations):
    # NULLs never clash in a unique index: this group has its own, or each submit would add
    # a second row instead of adding to the first.
    for _ in range(3):
        submit(draft(open_round, None, [2] * 24))
    submit(draft(open_round, organisations[0], [2] * 24))
    kept = tally(open_round)
    assert kept == fresh_count(open_round)
    assert Tally.objects.filter(round=open_round, organisation=None).count() == 24
    assert {n for (org, _, _), n in kept.items() if org is None} == {3}


def test_a_second_submit_does_not_count_twice(open_round, organisations):
    response = draft(open_round, organisations[0], [3] * 24)
    submit(response)
    before = tally(open_round)
    with pytest.raises(AlreadySubmitted):
        submit(response)
    assert tally(open_round) == before == fresh_count(open_round)


def test_a_failed_submit_counts_nothing(open_round, organisations):
    from sixways.rounds.answering import Incomplete

    with pytest.raises(Incomplete):
        submit(draft(open_round, organisations[0], [3] * 23))
    assert not Tally.objects.exists()


def test_submits_in_one_round_leave_other_rounds_alone(partnership, instrument, organisations):
    one = make_round(partnership, instrument, title="One")
    two = make_round(partnership, instrument, title="Two")
    submit(draft(one, organisations[0], [3] * 24))
    submit(draft(two, organisations[0], [0] * 24))
    assert tally(one) == fresh_count(one) and tally(two) == fresh_count(two)
    assert sum(tally(one).values()) == sum(tally(two).values()) == 24


def test_deleting_a_sent_response_takes_it_out_of_the_tally(partnership, instrument, organisations):
    round_ = make_round(partnership, instrument)
    kept = [draft(round_, organisations[0], [3] * 24) for _ in range(2)]
    kept += [draft(round_, None, [1] * 24) for _ in range(2)]
    for response in kept:
        submit(response)
    draft(round_, organisations[1], [0] * 24)  # a draft: never counted, nothing to take out
    # A link deleted (the admin can): its response and answers go, and so does their count.
    kept[0].invitation.delete()
    Invitation.objects.filter(response__in=[kept[2], kept[3]]).delete()
    assert tally(round_) == fresh_count(round_)
    assert sum(tally(round_).values()) == 24
    assert not Tally.objects.filter(round=round_, organisation=None).exists()
    Invitation.objects.filter(round=round_).delete()
    assert not Tally.objects.filter(round=round_).exists()
    # Deleting the round (or its partnership) takes its tally with it.
    other = make_round(partnership, instrument, title="Other")
    submit(draft(other, organisations[0], [2] * 24))
    other.delete()
    submit(draft(round_, organisations[0], [2] * 24))
    partnership.delete()
    assert not Tally.objects.exists()


def test_editing_agreed_answers_after_agreeing_changes_the_tally(partnership, instrument):
    round_ = make_round(partnership, instrument, mode=Mode.COLLECTIVE)
    response = agreed_response(round_)
    questions = list(Question.objects.filter(instrument=instrument))
    options = {o.score: o for o in Option.objects.filter(instrument=instrument)}
    # Saved but not agreed: nothing counts yet.
    save_agreed(response, 0, {q: options[3] for q in questions[:10]}, {}, agree=False)
    assert not Tally.objects.filter(round=round_).exists()
    missing = save_agreed(response, 1, {q: options[3] for q in questions}, {}, agree=True)
    assert missing == []
    response.refresh_from_db()
    assert response.submitted
    assert tally(round_) == fresh_count(round_)
    assert sum(tally(round_).values()) == 24
    # The facilitator changes two agreed answers: the tally follows, no answer counts twice.
    save_agreed(response, 2, {questions[0]: options[0], questions[5]: options[1]}, {}, agree=False)
    kept = tally(round_)
    assert kept == fresh_count(round_)
    assert sum(kept.values()) == 24
    assert kept[(None, questions[0].pk, options[0].pk)] == 1
    assert (None, questions[0].pk, options[3].pk) not in kept


def test_retention_deletes_the_tally_and_the_results_use_the_kept_totals(
    settings, partnership, instrument, organisations, facilitator, client
):
    settings.ANSWER_RETENTION_DAYS = 30
    round_ = make_round(
        partnership, instrument, status=Status.CLOSED, mode=Mode.ORGANISATIONAL, title="2020"
    )
    for org, pattern in ((organisations[0], "333333"), (organisations[1], "000000")):
        respond(round_, org, pattern)
    assert tally(round_) == fresh_count(round_) and tally(round_)
    type(round_).objects.filter(pk=round_.pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=31)
    )
    round_.refresh_from_db()
    assert apply_retention()["rounds_answers_deleted"] == 1
    assert not Tally.objects.filter(round=round_).exists()
    data = queries.load([round_.pk])[round_.pk]
    assert data.answers_deleted and not data.counts
    results = queries.round_results(round_)
    assert results.answers_deleted
    assert [b.score for b in results.behaviours] == [pytest.approx(1.5)] * 6
    client.force_login(facilitator)
    assert client.get(reverse("results:round", args=[round_.pk])).status_code == 200


def test_an_open_rounds_results_change_as_soon_as_a_response_is_sent(
    client, facilitator, partnership, instrument, organisations
):
    # Organisational mode: figures show from the first response (individual mode waits for
    # MIN_GROUP_SIZE).
    open_round = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL)
    submit(draft(open_round, organisations[0], [3] * 24))
    first = queries.round_results(open_round)
    assert first.responses == 1
    assert first.behaviours[0].split == {"yes": 4, "sometimes": 0, "not-always": 0, "no": 0}
    submit(draft(open_round, organisations[1], [0] * 24))
    second = queries.round_results(open_round)
    assert second.responses == 2
    assert second.behaviours[0].split == {"yes": 4, "sometimes": 0, "not-always": 0, "no": 4}
    client.force_login(facilitator)
    assert client.get(reverse("results:round", args=[open_round.pk])).status_code == 200


def test_the_load_reads_the_same_counts_as_counting_the_answers(demo_partnership):
    for round_ in demo_partnership.rounds.all():
        data = queries.load([round_.pk])[round_.pk]
        counted = fresh_count(round_)
        assert {
            (org, question, option): n
            for (org, question), by_option in data.counts.items()
            for option, n in by_option.items()
        } == dict(counted)
        assert (
            sum(g.respondents for g in data.groups.values())
            == round_.responses.filter(state=Response.State.SUBMITTED).count()
        )


def fill_tallies():
    """The data migration's own function, run on the test database."""
    from django.apps import apps

    migration = importlib.import_module("sixways.rounds.migrations.0005_tally")
    migration.fill_tallies(apps, types.SimpleNamespace(connection=connection))


# Each response: its organisation (0, 1 or none), whether it is sent, and its 24 answer scores.
responses = st.lists(
    st.tuples(
        st.sampled_from([0, 1, None]),
        st.booleans(),
        st.lists(st.integers(0, 3), min_size=24, max_size=24),
    ),
    max_size=8,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rounds=st.lists(responses, min_size=1, max_size=3))
def test_the_tally_always_equals_a_fresh_count(partnership, instrument, organisations, rounds):
    made = []
    for index, people in enumerate(rounds):
        round_ = make_round(partnership, instrument, title=f"Round {index}")
        made.append(round_)
        for organisation, sent, scores in people:
            response = draft(
                round_, None if organisation is None else organisations[organisation], scores
            )
            if sent:
                submit(response)
    # Kept by submit() one response at a time...
    for round_ in made:
        assert tally(round_) == fresh_count(round_)
    # ... counted again for all of them at once ...
    rebuild_tally(made)
    for round_ in made:
        assert tally(round_) == fresh_count(round_)
    # ... and by the data migration, from nothing.
    Tally.objects.all().delete()  # it fills every round, those of earlier examples too
    fill_tallies()
    for round_ in made:
        assert tally(round_) == fresh_count(round_)


# --- Under load: fifty people sending at once, through gunicorn (tests/test_resilience.py) ----


@pytest.fixture(scope="module")
def served(database, control, directory):
    """A server of its own on the module's private database (tests/conftest.py), served as
    tests/test_resilience.py serves it."""
    from bench.harness import Server
    from tests import test_resilience as resilience

    with Server(database, directory, **resilience.SERVING) as server:
        yield server, control


def test_fifty_people_sending_at_once_are_each_counted_once(served):
    from tests import test_resilience as resilience

    server, control = served
    prepared = control("prepare", invitations=50, answered=6, title="Tally at once")
    people = resilience.started(server, prepared["tokens"])
    errors_before = server.server_errors()
    ready = threading.Barrier(len(people))

    def send(person):
        ready.wait(30)
        # Two presses of Send at once from each person: the second must not count again.
        presses = [resilience.Client(server.base, cookies=dict(person.cookies)) for _ in "ab"]
        replies = resilience.in_parallel(lambda press: press.post("/respond/check/"), presses)
        return [(r.status, r.location) for r in replies]

    outcomes = resilience.in_parallel(send, people)
    assert outcomes == [[(302, resilience.SENT)] * 2] * 50
    resilience.assert_no_server_errors(server, errors_before)
    audit = control("audit", round=prepared["round"])
    assert audit["submitted"] == 50
    assert audit["tally_off"] == 0


@pytest.mark.skipif(not on_postgresql(), reason="threads sharing a database need PostgreSQL here")
@pytest.mark.django_db(transaction=True)
def test_fifty_submits_at_once_in_process_count_each_once(partnership, instrument, organisations):
    """The same race without the web server: fifty threads calling submit() together, each
    with its own connection, on PostgreSQL (row locks, no deadlock, nothing lost)."""
    from django.db import connections

    round_ = make_round(partnership, instrument, title="Threads")
    drafts = [
        draft(round_, [organisations[0], organisations[1], None][i % 3], [i % 4] * 24)
        for i in range(50)
    ]
    ready = threading.Barrier(len(drafts))
    errors = []

    def send(response):
        try:
            ready.wait(30)
            submit(response)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(r,)) for r in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert Response.objects.filter(round=round_, state=Response.State.SUBMITTED).count() == 50
    assert tally(round_) == fresh_count(round_)
    assert sum(tally(round_).values()) == 50 * 24
