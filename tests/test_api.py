"""The read-only API for analysts (sixways/sharing/api.py, docs/api.md): tokens by Basic and
Bearer, what each table holds and hides, who gets nothing, limits, caching and the OpenAPI
document; and the facilitators' token pages."""

import base64
import csv
import datetime
import gzip
import io
import json

import jsonschema
import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sixways.core.models import AuditEntry
from sixways.partnerships.models import Level, Organisation, Partnership, Role, Sector
from sixways.partnerships.roles import Viewer
from sixways.results import exports
from sixways.results.queries import round_results
from sixways.rounds.fixtures import respond
from sixways.rounds.models import Mode, Status
from sixways.sharing import openapi
from sixways.sharing.models import ApiToken
from sixways.sharing.tables import TABLES

from .conftest import date_data, make_round, make_user

CSV_TABLES = [f"api:{key}-csv" for key in TABLES]
JSON_TABLES = [f"api:{key}-json" for key in TABLES]
ALL_TABLES = CSV_TABLES + JSON_TABLES


def basic(secret: str, username: str = "anything") -> dict:
    encoded = base64.b64encode(f"{username}:{secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {encoded}"}


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def issue(partnership, **fields) -> tuple[ApiToken, str]:
    fields.setdefault("name", "Dashboard")
    fields.setdefault("expires_at", timezone.now() + datetime.timedelta(days=30))
    return ApiToken.issue(partnership, **fields)


def closed(partnership, instrument, title, days_ago=10, mode=Mode.INDIVIDUAL):
    round_ = make_round(partnership, instrument, mode=mode, title=title, status=Status.CLOSED)
    round_.closed_at = timezone.now() - datetime.timedelta(days=days_ago)
    round_.opens_on = timezone.localdate() - datetime.timedelta(days=days_ago + 30)
    round_.closes_on = timezone.localdate() - datetime.timedelta(days=days_ago)
    round_.save()
    return round_


@pytest.fixture
def small_groups(partnership, instrument, organisations):
    """A closed individual round in which two organisations are too small to show on their own
    (pooled as Other organisations) and a third is shown: as the pages show it."""
    council, trust = organisations
    care = Organisation.objects.create(name="Eastvale Care", sector=Sector.CARE_PROVIDER)
    round_ = closed(partnership, instrument, "Spring 2026")
    for n in range(7):
        respond(round_, council, "3210321"[n] * 6)
    for pattern in ["111111", "222222", "333333"]:
        respond(round_, trust, pattern)
    for pattern in ["000000", "123123"]:
        respond(round_, care, pattern)
    return round_


@pytest.fixture
def still_open(partnership, instrument, organisations):
    round_ = make_round(partnership, instrument, title="Autumn 2026")
    for _ in range(6):
        respond(round_, organisations[0], "222222")
    return round_


@pytest.fixture
def owner(partnership, small_groups, still_open):
    return issue(partnership)


def table(client, name, secret, **extra):
    return client.get(reverse(name), **bearer(secret), **extra)


def rows_of(reply) -> list[dict]:
    if reply["Content-Type"].startswith("application/json"):
        return json.loads(reply.content)["rows"]
    text = reply.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def as_csv(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# --- Every table, by Basic and by Bearer ------------------------------------------------------


@pytest.mark.parametrize("name", ALL_TABLES)
def test_every_table_answers_the_owners_token_by_basic_and_bearer(client, owner, name):
    _, secret = owner
    for credentials in (basic(secret), basic(secret, username=""), bearer(secret)):
        reply = client.get(reverse(name), **credentials)
        assert reply.status_code == 200, reply.content
        kind = "text/csv" if name.endswith("-csv") else "application/json"
        assert reply["Content-Type"].startswith(kind)
        assert reply["ETag"].startswith('W/"')
        assert reply["Last-Modified"]
        assert reply["Cache-Control"] == "private, no-cache"
        assert "no-store" not in reply["Cache-Control"]
        assert reply["X-Robots-Tag"] == "noindex"
        assert "Authorization" in reply["Vary"]
    key = name.removeprefix("api:").rsplit("-", 1)[0]
    header = rows_of(reply)[0].keys() if rows_of(reply) else TABLES[key].names
    assert list(header) == TABLES[key].names


def test_rounds_say_which_show_figures_and_why_not(client, owner, small_groups, still_open):
    rows = rows_of(table(client, "api:rounds-json", owner[1]))
    by_id = {r["round_id"]: r for r in rows}
    assert by_id[small_groups.pk]["figures_status"] == "shown"
    assert by_id[small_groups.pk]["responses"] == 12
    open_row = by_id[still_open.pk]
    assert open_row["figures_status"] == "round-still-open"
    assert open_row["responses"] == 6
    assert "Results appear when the round closes" in open_row["why_not_shown"]
    # The open round is in every figures table, with its status and no figure.
    for name in ("api:scores-json", "api:question-results-json", "api:answers-json"):
        found = [
            r for r in rows_of(table(client, name, owner[1])) if r["round_id"] == still_open.pk
        ]
        assert found, name
        assert all(r["figures_status"] == "round-still-open" and r["suppressed"] for r in found)
        assert all(r.get("score") is None and r.get("count") is None for r in found)


def test_the_index_and_the_openapi_document_are_open_and_hold_no_data(client, owner):
    index = client.get(reverse("api:index"))
    assert index.status_code == 200
    listed = {t["name"]: t for t in index.json()["tables"]}
    assert set(listed) == set(TABLES)
    assert listed["scores"]["csv"].endswith("/api/v1/scores.csv")
    assert all(t["description"] for t in listed.values())
    document = client.get(reverse("api:openapi"))
    assert document.status_code == 200
    assert document.json()["openapi"].startswith("3.1")
    assert "Eastvale" not in index.content.decode() + document.content.decode()


def test_each_use_is_counted_and_logged(client, owner):
    token, secret = owner
    table(client, "api:scores-csv", secret)
    table(client, "api:rounds-json", secret)
    token.refresh_from_db()
    assert token.uses == 2
    assert token.last_used_at is not None
    entries = AuditEntry.objects.filter(action="api-token.used").order_by("id")
    assert [e.detail for e in entries] == ["scores.csv", "rounds.json"]
    assert all(e.partnership_id == token.partnership_id for e in entries)
    assert secret not in "".join(e.detail + e.target for e in entries)


# --- Nobody else's data -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_TABLES)
def test_another_partnerships_token_gets_none_of_this_partnerships_data(
    client, owner, instrument, name
):
    other = Partnership.objects.create(name="Westmoor Place Partnership", level=Level.PLACE)
    theirs = closed(other, instrument, "Westmoor spring")
    organisation = Organisation.objects.create(name="Westmoor Council", sector=Sector.OTHER)
    for _ in range(5):
        respond(theirs, organisation, "111111")
    _, secret = issue(other, include_children=True)
    reply = table(client, name, secret)
    assert reply.status_code == 200
    body = reply.content.decode("utf-8-sig")
    for marker in ("Eastvale", "Spring 2026", "Autumn 2026"):
        assert marker not in body
    assert all(str(r["partnership_id"]) == str(other.pk) for r in rows_of(reply))


def test_a_partnership_with_a_token_of_its_own_sees_only_its_own(client, owner, partnership):
    other = Partnership.objects.create(name="Westmoor Place Partnership", level=Level.PLACE)
    _, secret = issue(other)
    for name in ALL_TABLES:
        rows = rows_of(table(client, name, secret))
        assert not [r for r in rows if str(r["partnership_id"]) == str(partnership.pk)], name


# --- Refused: no token, a bad one, a revoked or expired one, malformed headers ----------------


def assert_refused(reply, status=401, says=""):
    assert reply.status_code == status, reply.content
    if status == 401:
        assert reply["WWW-Authenticate"].startswith('Basic realm="Six Ways API"')
    text = reply.content.decode()
    assert says in text
    assert "Eastvale" not in text


def test_no_token_asks_for_one_so_excel_offers_basic(client, owner):
    assert_refused(client.get(reverse("api:scores-csv")), says="needs an API token")
    reply = client.get(reverse("api:scores-json"))
    assert_refused(reply)
    assert reply.json()["error"] == "no-token"


def test_a_session_is_not_a_token(client, owner, facilitator):
    client.force_login(facilitator)
    assert_refused(client.get(reverse("api:scores-json")))


def test_revoked_and_expired_tokens_are_refused_saying_so(client, owner):
    token, secret = owner
    token.revoked_at = timezone.now()
    token.save()
    assert_refused(table(client, "api:scores-csv", secret), says="revoked")
    token.revoked_at = None
    token.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    token.save()
    assert_refused(table(client, "api:scores-csv", secret), says="expired")
    assert_refused(client.get(reverse("api:scores-csv"), **basic(secret)), says="expired")


def test_a_wrong_token_is_not_recognised(client, owner):
    _, secret = owner
    assert_refused(table(client, "api:scores-csv", secret[:-1] + "x"), says="not recognised")
    assert_refused(table(client, "api:scores-csv", "sw_" + "a" * 300))


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Basic " + base64.b64encode(b"no colon at all").decode(),
        "Basic " + base64.b64encode(b"user:").decode(),
        "Basic " + "QUFB" * 200,
        "Basic",
        "Bearer",
        "Bearer    ",
        "Token abc",
        "Digest username=x",
        "Bearer " + "x" * 1000,
        "Basic " + base64.b64encode("user:sw_\u0000\u202e".encode()).decode(),
    ],
)
def test_malformed_headers_get_401_never_a_server_error(client, owner, header):
    for name in ("api:scores-csv", "api:scores-json"):
        assert_refused(client.get(reverse(name), HTTP_AUTHORIZATION=header))


def test_a_token_in_the_address_is_refused_and_never_works(client, owner):
    _, secret = owner
    url = reverse("api:scores-csv")
    for query in (f"token={secret}", f"access_token={secret}", f"x={secret}", "api_key=1"):
        assert_refused(
            client.get(f"{url}?{query}"), status=400, says="never accepted in the address"
        )
        # Not even beside a good header: it has been in an address, so it must be replaced.
        assert_refused(client.get(f"{url}?{query}", **bearer(secret)), status=400)


# --- Limits -----------------------------------------------------------------------------------


def test_wrong_tokens_from_one_address_are_paused_but_a_right_one_still_works(
    client, owner, settings
):
    settings.PARTICIPANT_LINK_FAILURES = "3/h"
    _, secret = owner
    for _ in range(3):
        assert_refused(table(client, "api:scores-csv", "sw_wrong"))
    paused = table(client, "api:scores-csv", "sw_wrong")
    assert paused.status_code == 429
    assert 0 < int(paused["Retry-After"]) <= 3600
    assert "Too many wrong tokens" in paused.content.decode()
    malformed = client.get(reverse("api:scores-csv"), HTTP_AUTHORIZATION="Basic !!")
    assert malformed.status_code == 429
    assert table(client, "api:scores-csv", secret).status_code == 200
    # Another address is counted apart.
    assert table(client, "api:scores-csv", "sw_wrong", REMOTE_ADDR="10.9.8.7").status_code == 401


def test_a_token_has_its_own_allowance(client, owner, partnership, settings):
    settings.API_RATE = "2/h"
    _, secret = owner
    _, another = issue(partnership, name="Another")
    assert table(client, "api:scores-csv", secret).status_code == 200
    assert table(client, "api:rounds-json", secret).status_code == 200
    over = table(client, "api:scores-json", secret)
    assert over.status_code == 429
    assert 0 < int(over["Retry-After"]) <= 3600
    assert over.json()["error"] == "too-many-requests"
    assert "2 requests an hour" in over.json()["message"]
    # From another address too: the allowance is the token's.
    assert table(client, "api:scores-csv", secret, REMOTE_ADDR="10.9.8.7").status_code == 429
    assert table(client, "api:scores-csv", another).status_code == 200


# --- Caching ----------------------------------------------------------------------------------


def test_an_unchanged_table_is_304_and_a_new_response_changes_it(
    client, owner, still_open, organisations, partnership
):
    _, secret = owner
    first = table(client, "api:rounds-csv", secret)
    etag = first["ETag"]
    again = table(client, "api:rounds-csv", secret, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert "no-store" not in again["Cache-Control"]
    since = table(client, "api:rounds-csv", secret, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    # The CSV and JSON of a table are different representations, with different tags.
    assert table(client, "api:rounds-json", secret)["ETag"] != etag

    respond(still_open, organisations[1], "333333")
    fresh = table(client, "api:rounds-csv", secret, HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200
    assert fresh["ETag"] != etag
    row = next(r for r in rows_of(fresh) if r["round_id"] == str(still_open.pk))
    assert row["responses"] == "7"
    # Renaming the partnership changes every table too.
    etag = fresh["ETag"]
    partnership.name = "Eastvale and District Partnership"
    partnership.save()
    assert table(client, "api:rounds-csv", secret, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_gzip_and_the_weak_tag_it_leaves(client, owner):
    _, secret = owner
    reply = table(client, "api:question-results-csv", secret, HTTP_ACCEPT_ENCODING="gzip")
    assert reply["Content-Encoding"] == "gzip"
    assert gzip.decompress(reply.content).decode("utf-8-sig").startswith("partnership_id,")
    again = table(
        client,
        "api:question-results-csv",
        secret,
        HTTP_ACCEPT_ENCODING="gzip",
        HTTP_IF_NONE_MATCH=reply["ETag"],
    )
    assert again.status_code == 304


def test_an_unchanged_refresh_reads_little_and_builds_nothing(client, owner):
    _, secret = owner
    etag = table(client, "api:question-results-json", secret)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        reply = table(client, "api:question-results-json", secret, HTTP_IF_NONE_MATCH=etag)
    assert reply.status_code == 304
    assert not [q for q in queries.captured_queries if "rounds_answer" in q["sql"]]
    assert len(queries) <= 16


def test_the_queries_do_not_grow_with_the_responses(client, partnership, instrument):
    organisation = Organisation.objects.create(name="Eastvale Council", sector=Sector.OTHER)
    round_ = closed(partnership, instrument, "Spring 2026")
    _, secret = issue(partnership)
    counts = []
    for _ in range(3):  # the first pass also fills what a worker keeps once (instruments)
        for _ in range(10):
            respond(round_, organisation, "123123")
        caches["results"].clear()  # so each count works the figures out afresh
        with CaptureQueriesContext(connection) as queries:
            for name in JSON_TABLES:
                assert table(client, name, secret).status_code == 200
        counts.append(len(queries))
    assert counts[1] == counts[2]


# --- The partnerships within one --------------------------------------------------------------


@pytest.fixture
def system(db, instrument):
    system = Partnership.objects.create(name="Riverside System", level=Level.SYSTEM)
    sharing = Partnership.objects.create(name="Alder Place", level=Level.PLACE, parent=system)
    keeping = Partnership.objects.create(
        name="Birch Place", level=Level.PLACE, parent=system, figures_to_parent=False
    )
    for place in (sharing, keeping):
        organisation = Organisation.objects.create(name=f"{place.name} Council", sector="other")
        done = closed(place, instrument, f"{place.name} spring")
        for _ in range(6):
            respond(done, organisation, "222222")
        ongoing = make_round(place, instrument, title=f"{place.name} autumn")
        respond(ongoing, organisation, "111111")
    own = closed(system, instrument, "System spring")
    for _ in range(5):
        respond(own, Organisation.objects.create(name="System ICB", sector="icb"), "333333")
    system.sharing, system.keeping = sharing, keeping
    return system


def test_children_only_when_asked_for_and_only_those_that_share_figures(client, system):
    _, alone = issue(system)
    titles = {r["round"] for r in rows_of(table(client, "api:rounds-json", alone))}
    assert titles == {"System spring"}

    _, with_children = issue(system, include_children=True)
    rows = rows_of(table(client, "api:rounds-json", with_children))
    # Alder shares its figures: its closed round, not its open one. Birch keeps them.
    assert {r["round"] for r in rows} == {"System spring", "Alder Place spring"}
    alder = next(r for r in rows if r["round"] == "Alder Place spring")
    assert alder["scope"] == "child" and alder["figures_status"] == "shown"
    assert alder["organisations"] is None
    scores = rows_of(table(client, "api:scores-json", with_children))
    child_scores = [r for r in scores if r["partnership"] == "Alder Place"]
    assert {r["group_kind"] for r in child_scores} == {"partnership"}
    assert {r["score"] for r in child_scores} == {2.0}
    # Of a child, never its organisations, actions or agreed answers.
    for name in ("api:organisations-json", "api:actions-json", "api:agreed-answers-json"):
        body = table(client, name, with_children).content.decode()
        assert "Alder" not in body and "Birch" not in body
    assert "Birch" not in "".join(
        table(client, name, with_children).content.decode() for name in ALL_TABLES
    )

    # When Alder stops sharing, the parent's token stops reading it.
    system.sharing.figures_to_parent = False
    system.sharing.save()
    rows = rows_of(table(client, "api:rounds-json", with_children))
    assert {r["round"] for r in rows} == {"System spring"}


def test_a_childs_token_does_not_read_its_parent(client, system):
    _, secret = issue(system.sharing, include_children=True)
    body = "".join(table(client, name, secret).content.decode() for name in ALL_TABLES)
    assert "System spring" not in body and "Riverside" not in body


def test_a_childs_small_round_gives_no_count_to_its_parent(client, system, instrument):
    small = closed(system.sharing, instrument, "Alder Place small")
    respond(small, Organisation.objects.create(name="Alder GP", sector="primary-care"), "111111")
    _, secret = issue(system, include_children=True)
    row = next(
        r for r in rows_of(table(client, "api:rounds-json", secret)) if r["round_id"] == small.pk
    )
    assert row["responses"] is None
    assert row["figures_status"] == "fewer-responses-than-min-group-size"


# --- The same figures as the pages, hidden the same way ---------------------------------------


def test_question_results_and_answers_are_the_results_downloads_cell_by_cell(
    client, owner, small_groups, observer
):
    _, secret = owner
    client.force_login(observer)
    download = client.get(reverse("results:json", args=[small_groups.pk])).json()
    results = round_results(small_groups, Viewer(role=Role.OBSERVER))
    assert exports.results_json(results)["organisation_results"] == download["organisation_results"]
    client.logout()

    # Per question, for the whole partnership.
    rows = [
        r
        for r in rows_of(table(client, "api:question-results-json", secret))
        if r["round_id"] == small_groups.pk
    ]
    expected = {
        (q["key"], answer): n
        for b in download["behaviours"]
        for q in b["questions"]
        for answer, n in q["answers"].items()
    }
    got = {(r["question"], r["answer"]): r["count"] for r in rows}
    assert got == expected
    averages = {q["key"]: q["average"] for b in download["behaviours"] for q in b["questions"]}
    assert {r["question"]: r["question_average"] for r in rows} == averages
    assert not any(r["suppressed"] for r in rows)

    # Per group and behaviour: the shown organisation, the pool, and no pooled organisation.
    rows = [
        r
        for r in rows_of(table(client, "api:answers-json", secret))
        if r["round_id"] == small_groups.pk
    ]
    groups = {g["name"]: g for g in download["organisation_results"]}
    assert set(groups) == {"Eastvale Council", "Other organisations"}
    for name, group in groups.items():
        for behaviour, split in group["answers"].items():
            for answer, n in split.items():
                (row,) = [
                    r
                    for r in rows
                    if r["group"] == name and r["behaviour"] == behaviour and r["answer"] == answer
                ]
                assert row["count"] == n and not row["suppressed"]
    body = json.dumps(rows)
    assert "Eastvale NHS Trust" not in body and "Eastvale Care" not in body
    # Sectors holding a pooled organisation are there, suppressed, with no count.
    hidden = [s for s in download["sector_results"] if not s["shown"]]
    suppressed = [r for r in rows if r["group_kind"] == "sector" and r["suppressed"]]
    assert hidden and len(suppressed) == len(hidden) * 6 * 4
    assert all(r["count"] is None and r["group"] is None for r in suppressed)

    # Scores: the partnership's and each shown group's, as the download gives them.
    scores = [
        r
        for r in rows_of(table(client, "api:scores-json", secret))
        if r["round_id"] == small_groups.pk
    ]
    for b in download["behaviours"]:
        (row,) = [
            r for r in scores if r["group_kind"] == "partnership" and r["behaviour"] == b["key"]
        ]
        assert (row["score"], row["change"], row["respondent_weighted"]) == (
            b["score"],
            b["change"],
            b["respondent_weighted"],
        )
        assert row["spread_range"] == b["spread"]["range"]
    for name, group in groups.items():
        for behaviour, score in group["scores"].items():
            (row,) = [r for r in scores if r["group"] == name and r["behaviour"] == behaviour]
            assert row["score"] == score

    # Organisations: exactly the groups the download lists, with their sizes as it gives them.
    listed = [
        r
        for r in rows_of(table(client, "api:organisations-json", secret))
        if r["round_id"] == small_groups.pk
    ]
    assert [(r["name"], r["respondents"], r["shown"]) for r in listed if r["kind"] != "sector"] == [
        (g["name"], g["respondents"], g["shown"]) for g in download["organisation_results"]
    ]


def test_agreed_answers_and_actions_where_they_exist(client, partnership, instrument, facilitator):
    from sixways.actions.models import Action

    round_ = closed(partnership, instrument, "Workshop", mode=Mode.COLLECTIVE)
    Action.objects.create(
        partnership=partnership,
        round=round_,
        section=instrument.sections.get(key="2"),
        title="=Meet monthly",
        done_looks_like="Twelve meetings",
        owner_name="The chair",
        due_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    _, secret = issue(partnership)
    rows = rows_of(table(client, "api:actions-json", secret))
    assert [(r["round"], r["title"], r["behaviour"], r["status"]) for r in rows] == [
        ("Workshop", "=Meet monthly", "2", "Proposed")
    ]
    csv_rows = rows_of(table(client, "api:actions-csv", secret))
    assert csv_rows[0]["title"] == "'=Meet monthly"  # neutralised in the CSV only
    # A round that shows no figures has one row saying why; one with figures but a single
    # layer of answers has none.
    rows = rows_of(table(client, "api:agreed-answers-json", secret))
    assert [(r["round"], r["figures_status"], r["agreed"]) for r in rows] == [
        ("Workshop", "no-responses", None)
    ]


def test_the_benchmark_row_says_when_the_partnership_does_not_take_part(client, owner):
    rows = rows_of(table(client, "api:benchmark-json", owner[1]))
    assert [r["status"] for r in rows] == ["not-taking-part"]


@pytest.mark.parametrize("key", list(TABLES))
def test_csv_and_json_of_each_table_agree(client, owner, key):
    _, secret = owner
    from_json = rows_of(table(client, f"api:{key}-json", secret))
    from_csv = rows_of(table(client, f"api:{key}-csv", secret))
    assert [{k: as_csv(v) for k, v in row.items()} for row in from_json] == from_csv


# --- The OpenAPI document ---------------------------------------------------------------------


def validator_for(document: dict, path: str, status: str = "200"):
    """A validator for one response of the document, its references read against it."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    pointer = f"#/paths/{escaped}/get/responses/{status}/content/application~1json/schema"
    return jsonschema.Draft202012Validator({**document, "$ref": pointer})


def test_every_table_matches_the_openapi_document(client, owner, partnership, instrument, settings):
    from sixways.actions.models import Action

    Action.objects.create(
        partnership=partnership,
        round=partnership.rounds.first(),
        section=instrument.sections.first(),
        title="Agree the agenda",
        done_looks_like="Agreed",
        owner_name="The chair",
        due_on=timezone.localdate(),
    )
    partnership.benchmark_joined_at = timezone.now()
    partnership.save()
    document = client.get(reverse("api:openapi")).json()
    assert document == json.loads(json.dumps(openapi.document(settings.SITE_URL)))
    for schema in document["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    _, secret = owner
    for key in TABLES:
        path = f"/api/v1/{key}.json"
        assert set(document["paths"][path]["get"]["responses"]) >= {"200", "304", "401", "429"}
        reply = table(client, f"api:{key}-json", secret)
        validator_for(document, path).validate(reply.json())
        assert f"/api/v1/{key}.csv" in document["paths"]
    refused = client.get(reverse("api:scores-json"))
    validator_for(document, "/api/v1/scores.json", "401").validate(refused.json())
    # A row that strays from the document fails, so the check means something.
    reply = table(client, "api:rounds-json", secret).json()
    reply["rows"][0]["responses"] = "twelve"
    with pytest.raises(jsonschema.ValidationError):
        validator_for(document, "/api/v1/rounds.json").validate(reply)


# --- The token pages --------------------------------------------------------------------------


def new_token_data(**extra) -> dict:
    return {
        "name": "Board dashboard",
        **date_data("expires_on", timezone.localdate() + datetime.timedelta(days=200)),
        **extra,
    }


def test_a_facilitator_makes_a_token_that_is_shown_once(client, facilitator, partnership):
    client.force_login(facilitator)
    page = client.get(reverse("partnerships:detail", args=[partnership.pk]))
    assert reverse("api:tokens", args=[partnership.pk]) in page.content.decode()
    form = client.get(reverse("api:new-token", args=[partnership.pk]))
    assert form.status_code == 200
    # The default expiry: a year from today.
    year = timezone.localdate() + datetime.timedelta(days=365)
    assert f'value="{year.year}"' in form.content.decode()
    # No partnerships within this one: no question about them.
    assert "include_children" not in form.content.decode()

    made = client.post(reverse("api:new-token", args=[partnership.pk]), new_token_data())
    assert made.status_code == 200
    text = made.content.decode()
    assert "it will not be shown again" in text
    secret = text.split('<code id="token">')[1].split("</code>")[0]
    token = ApiToken.objects.get()
    assert token.name == "Board dashboard" and not token.include_children
    assert token.created_by == facilitator
    assert token.token_hash != secret and secret not in token.hint + token.token_hash
    assert ApiToken.objects.from_secret(secret) == token
    assert timezone.localdate(token.expires_at) == timezone.localdate() + datetime.timedelta(
        days=200
    )
    assert AuditEntry.objects.filter(action="api-token.created", partnership=partnership).exists()
    assert f'data-copy="{secret}"' in text

    listed = client.get(reverse("api:tokens", args=[partnership.pk])).content.decode()
    assert "Board dashboard" in listed and token.hint in listed and "Not yet" in listed
    assert secret not in listed
    assert client.get(reverse("api:scores-csv"), **basic(secret)).status_code == 200
    listed = client.get(reverse("api:tokens", args=[partnership.pk])).content.decode()
    assert "Not yet" not in listed


def test_the_form_says_what_is_wrong(client, facilitator, partnership):
    client.force_login(facilitator)
    url = reverse("api:new-token", args=[partnership.pk])
    reply = client.post(url, {"name": ""})
    assert reply.status_code == 400
    text = reply.content.decode()
    assert "There is a problem" in text and "Enter a name for the token" in text
    assert 'href="#id_name"' in text and "Enter the expiry date" in text
    too_late = timezone.localdate() + datetime.timedelta(days=800)
    reply = client.post(url, new_token_data(**date_data("expires_on", too_late)))
    assert reply.status_code == 400
    assert "two years from today" in reply.content.decode()
    past = client.post(url, new_token_data(**date_data("expires_on", timezone.localdate())))
    assert "must be in the future" in past.content.decode()
    assert not ApiToken.objects.exists()


def test_a_token_with_the_partnerships_within(client, django_user_model, system):
    user = make_user(django_user_model, "fac@riverside.example", system)
    client.force_login(user)
    url = reverse("api:new-token", args=[system.pk])
    assert 'name="include_children"' in client.get(url).content.decode()
    client.post(url, new_token_data(include_children="yes"))
    assert ApiToken.objects.get().include_children
    reply = client.post(url, new_token_data())
    assert "Select whether to include the partnerships within this one" in reply.content.decode()


def test_revoking_asks_first_then_the_token_stops_working(client, facilitator, partnership):
    token, secret = issue(partnership)
    client.force_login(facilitator)
    url = reverse("api:revoke-token", args=[partnership.pk, token.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Revoke the token" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    reply = client.post(url)
    assert reply.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.status == "revoked"
    client.post(url)
    assert AuditEntry.objects.filter(action="api-token.revoked").count() == 1
    assert client.get(reverse("api:scores-csv"), **basic(secret)).status_code == 401
    listed = client.get(reverse("api:tokens", args=[partnership.pk])).content.decode()
    assert "Revoked" in listed


@pytest.mark.parametrize("persona", ["observer", "partner_lead", "outsider"])
def test_only_facilitators_reach_the_token_pages(client, request, partnership, persona):
    token, _ = issue(partnership)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("api:tokens", args=[partnership.pk])).status_code == 404
    for url in (
        reverse("api:new-token", args=[partnership.pk]),
        reverse("api:revoke-token", args=[partnership.pk, token.pk]),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, new_token_data()).status_code == 404
    assert ApiToken.objects.count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_of_another_partnership_cannot_be_revoked_from_this_one(
    client, facilitator, partnership
):
    other = Partnership.objects.create(name="Westmoor Place Partnership", level=Level.PLACE)
    theirs, _ = issue(other)
    client.force_login(facilitator)
    url = reverse("api:revoke-token", args=[partnership.pk, theirs.pk])
    assert client.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_the_forms_need_the_csrf_token(facilitator, partnership):
    token, _ = issue(partnership)
    client = Client(enforce_csrf_checks=True)
    client.force_login(facilitator)
    new = client.post(reverse("api:new-token", args=[partnership.pk]), new_token_data())
    assert new.status_code == 403
    revoke = client.post(reverse("api:revoke-token", args=[partnership.pk, token.pk]))
    assert revoke.status_code == 403
    assert ApiToken.objects.count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_help_page_has_a_query_for_each_table(client):
    reply = client.get(reverse("api:help-api"))
    assert reply.status_code == 200
    text = reply.content.decode()
    for key in TABLES:
        assert f"/api/v1/{key}.csv" in text
    assert text.count("Copy for Power Query") == len(TABLES)
    assert "Web.Contents(" in text and "Csv.Document(" in text
    assert "Authorization: Bearer" in text and "Basic" in text
