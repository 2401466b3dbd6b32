"""A Django process that prepares and audits a benchmark or resilience run's database.

Started by bench/harness.py's Controller with the run's database in its environment. It reads
one JSON command per line on stdin and answers one JSON line on stdout, so one start-up serves a
whole run. It uses the ORM and the app's own models, the same way the app does.

Commands: migrate, prepare, audit, close, session, urls, counts, workshop, workshops,
votes.
"""

import datetime
import json
import os
import secrets
import sys
import traceback

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixways.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.urls import get_resolver  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from sixways.instruments.loading import current, load_all  # noqa: E402
from sixways.instruments.models import Option, Question  # noqa: E402
from sixways.partnerships.models import (  # noqa: E402
    Level,
    Membership,
    Organisation,
    Partner,
    Partnership,
    Role,
    Sector,
)
from sixways.rounds.models import Answer, Invitation, Mode, Response, Round, Status, Tally  # noqa: E402
from sixways.rounds.tokens import hash_token  # noqa: E402


def field_names() -> dict[str, list[str]]:
    """The form field names of each page of the current instrument: {"1": ["q1_1", ...]}."""
    names: dict[str, list[str]] = {}
    for question in Question.objects.filter(instrument=current()).select_related("section"):
        names.setdefault(str(question.section.position), []).append(
            "q" + question.key.replace(".", "_")
        )
    return names


def migrate() -> dict:
    call_command("migrate", interactive=False, verbosity=0)
    load_all()
    return {}


@transaction.atomic
def prepare(
    invitations: int,
    answered: int = 0,
    value: str = "yes",
    title: str = "Load round",
    mode: str = Mode.INDIVIDUAL,
) -> dict:
    """An open round with `invitations` links; with `answered`, each link already has a draft
    answering that many pages (a person part-way through)."""
    instrument = current()
    partnership = Partnership.objects.create(name=f"{title} partnership", level=Level.PLACE)
    organisations = [
        Organisation.objects.create(name=f"{title} council", sector=Sector.LOCAL_AUTHORITY),
        Organisation.objects.create(name=f"{title} trust", sector=Sector.NHS_TRUST),
    ]
    Partner.objects.bulk_create(
        Partner(partnership=partnership, organisation=org) for org in organisations
    )
    today = timezone.localdate()
    round_ = Round.objects.create(
        partnership=partnership,
        instrument=instrument,
        title=title,
        mode=mode,
        status=Status.OPEN,
        opens_on=today - datetime.timedelta(days=1),
        closes_on=today + datetime.timedelta(days=30),
    )
    tokens = [secrets.token_urlsafe(32) for _ in range(invitations)]
    links = Invitation.objects.bulk_create(
        Invitation(
            round=round_,
            organisation=organisations[index % 2],
            token_hash=hash_token(token),
        )
        for index, token in enumerate(tokens)
    )
    if answered:
        option = Option.objects.get(instrument=instrument, key=value)
        questions = list(
            Question.objects.filter(instrument=instrument, section__position__lte=answered)
        )
        responses = Response.objects.bulk_create(
            Response(round=round_, invitation=link, organisation_id=link.organisation_id)
            for link in links
        )
        Answer.objects.bulk_create(
            (Answer(response=r, question=q, option=option) for r in responses for q in questions),
            batch_size=5000,
        )
    return {
        "round": round_.pk,
        "partnership": partnership.pk,
        "tokens": tokens,
        "fields": field_names(),
    }


def audit(round: int, tokens: list[str] | None = None) -> dict:
    """What the round holds, and anything that should never be there."""
    questions = Question.objects.filter(instrument__rounds=round).count()
    responses = Response.objects.filter(round_id=round).annotate(n=Count("answers"))
    round_ = Round.objects.get(pk=round)
    result = {
        "questions": questions,
        "responses": responses.count(),
        "submitted": responses.filter(state=Response.State.SUBMITTED).count(),
        "drafts": responses.filter(state=Response.State.DRAFT).count(),
        "answers": Answer.objects.filter(response__round_id=round).count(),
        # A sent response missing an answer would mean a submit was only half-stored.
        "half_saved": responses.filter(state=Response.State.SUBMITTED).exclude(n=questions).count(),
        "responses_per_link_over_one": Invitation.objects.filter(round_id=round)
        .annotate(n=Count("response"))
        .filter(n__gt=1)
        .count(),
        "answers_per_question_over_one": Answer.objects.filter(response__round_id=round)
        .values("response", "question")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count(),
        "sent_after_close": responses.filter(
            state=Response.State.SUBMITTED, submitted_at__gt=round_.closed_at
        ).count()
        if round_.closed_at
        else 0,
        "status": round_.status,
        # The results read the tally kept at each submit: it must equal a fresh count.
        "tally_off": tally_off(round),
    }
    if tokens is not None:
        by_hash = {
            r.invitation.token_hash: r
            for r in responses.select_related("invitation").filter(
                invitation__token_hash__in=[hash_token(t) for t in tokens]
            )
        }
        per_token = {}
        for token in tokens:
            response = by_hash.get(hash_token(token))
            if response is None:
                per_token[token] = {"state": None, "answers": 0, "options": []}
                continue
            per_token[token] = {
                "state": response.state,
                "answers": response.n,
                "submitted_at": response.submitted_at.isoformat()
                if response.submitted_at
                else None,
                "options": sorted(set(response.answers.values_list("option__key", flat=True))),
                "by_section": {
                    str(row["question__section__position"]): sorted(
                        set(
                            response.answers.filter(
                                question__section__position=row["question__section__position"]
                            ).values_list("option__key", flat=True)
                        )
                    )
                    for row in response.answers.values("question__section__position").distinct()
                },
                "comments": list(response.comments.values_list("text", flat=True)),
            }
        result["tokens"] = per_token
    return result


def tally_off(round: int) -> int:
    """How many (organisation, question, option) counts in the round's tally differ from a
    count of its sent answers: 0 unless a submit was lost or counted twice."""
    fresh = {
        (row["response__organisation"], row["question"], row["option"]): row["n"]
        for row in Answer.objects.filter(
            response__round_id=round, response__state=Response.State.SUBMITTED
        )
        .values("response__organisation", "question", "option")
        .annotate(n=Count("id"))
        .order_by()
    }
    kept = {
        (organisation, question, option): n
        for organisation, question, option, n in Tally.objects.filter(round_id=round).values_list(
            "organisation", "question", "option", "count"
        )
    }
    return sum(fresh.get(key) != kept.get(key) for key in fresh.keys() | kept.keys())


def close(round: int) -> dict:
    round_ = Round.objects.get(pk=round)
    round_.close()
    return {"closed_at": round_.closed_at.isoformat()}


def session(rounds: list[int], email: str = "bench-facilitator@example.com") -> dict:
    """A signed-in facilitator's session for these rounds' partnerships, without the sign-in
    form (which may ask for more than a password)."""
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=email, defaults={"email": email})
    for pk in Round.objects.filter(pk__in=rounds).values_list("partnership", flat=True):
        Membership.objects.get_or_create(
            user=user, partnership_id=pk, defaults={"role": Role.FACILITATOR}
        )
    if "allauth.mfa" in settings.INSTALLED_APPS:
        # Facilitators must have two-factor set up, or every page sends them to set it up.
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, generate_totp_secret())
    store = import_string(settings.SESSION_ENGINE + ".SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return {"cookie": settings.SESSION_COOKIE_NAME, "value": store.session_key}


def urls() -> list[dict]:
    """The results URLs that take a round, with their names: how the bench finds exports."""
    found = []
    resolver = get_resolver()
    for pattern in resolver.url_patterns:
        namespace = getattr(pattern, "namespace", None)
        for inner in getattr(pattern, "url_patterns", []):
            route = str(getattr(inner, "pattern", ""))
            name = getattr(inner, "name", None)
            if "round_id" in route or "<int:pk>" in route:
                found.append({"namespace": namespace, "name": name, "route": str(route)})
    return found


def workshop(round: int) -> dict:
    """What a round's workshop holds: seats, votes, and the responses kept from them."""
    from sixways.workshops.models import Seat, Vote, Workshop

    return {
        "workshops": Workshop.objects.filter(round_id=round).count(),
        "seats": Seat.objects.filter(workshop__round_id=round).count(),
        "votes": Vote.objects.filter(seat__workshop__round_id=round).count(),
        "kept": Response.objects.filter(round_id=round, state=Response.State.ALONGSIDE).count(),
        "agreed": list(
            Answer.objects.filter(
                response__round_id=round, response__invitation__kind=Invitation.Kind.COLLECTIVE
            ).values_list("question__key", "option__key")
        ),
    }


@transaction.atomic
def workshops(count: int, seats: int) -> dict:
    """`count` running workshops in collective rounds, each with question 1.1 open and `seats`
    phones seated: the phones' live addresses, signed seat cookies and current ETags, and
    the facilitator-free way to cast votes (`vote_form`)."""
    from django.http import HttpResponse

    from sixways.workshops import live as workshop_live
    from sixways.workshops import seats as workshop_seats
    from sixways.workshops.models import Seat, Workshop
    from sixways.workshops.showing import etag

    question = Question.objects.get(instrument=current(), key="1.1")
    phones, rounds = [], []
    for n in range(count):
        prepared = prepare(invitations=0, title=f"Workshop {n}", mode=Mode.COLLECTIVE)
        round_ = Round.objects.get(pk=prepared["round"])
        rounds.append(round_.pk)
        workshop = workshop_live.start(round_, None, Workshop.Pace.QUESTION, open_actions=False)
        workshop_live.open_item(workshop, question.section, question)
        made = Seat.objects.bulk_create(Seat(workshop=workshop) for _ in range(seats))
        workshop.refresh_from_db()
        for seat in made:
            reply = HttpResponse()
            workshop_seats.give(reply, seat)  # the cookie exactly as the seat page gives it
            value = reply.cookies[workshop_seats.COOKIE].value
            phones.append(
                {
                    "code": workshop.code,
                    "cookie": f"{workshop_seats.COOKIE}={value}",
                    "etag": etag("room", workshop.pk, workshop.step),
                }
            )
    return {"phones": phones, "rounds": rounds, "field": "q1_1"}


def votes(rounds: list[int]) -> dict:
    """Votes held per workshop, and any seat with more than one vote on a question."""
    from sixways.workshops.models import Vote

    held = Vote.objects.filter(seat__workshop__round_id__in=rounds)
    doubled = held.values("seat", "question").annotate(n=Count("id")).filter(n__gt=1).count()
    return {"votes": held.count(), "doubled": doubled}


def counts() -> dict:
    return {
        "partnerships": Partnership.objects.count(),
        "organisations": Organisation.objects.count(),
        "rounds": Round.objects.count(),
        "responses": Response.objects.count(),
        "submitted": Response.objects.filter(state=Response.State.SUBMITTED).count(),
        "answers": Answer.objects.count(),
        "rounds_open": Round.objects.filter(~Q(status=Status.CLOSED)).count(),
    }


COMMANDS = {
    "migrate": migrate,
    "prepare": prepare,
    "audit": audit,
    "close": close,
    "session": session,
    "urls": urls,
    "counts": counts,
    "workshop": workshop,
    "workshops": workshops,
    "votes": votes,
}


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        command = COMMANDS.get(request.pop("command", None))
        try:
            if command is None:
                raise ValueError("unknown command")
            reply = {"result": command(**request)}
        except Exception as error:  # reported to the caller, which decides
            traceback.print_exc(file=sys.stderr)
            reply = {"error": f"{type(error).__name__}: {error}"}
        finally:
            # The database may be made unavailable between commands: start afresh each time.
            connection.close()
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
