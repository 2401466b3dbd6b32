"""Downloads for analysts: anonymised responses (CSV), results (JSON) and the action plan
(CSV, and in the JSON); the workbook (Excel) is built in workbook.py from the same rows.

The layouts are documented in docs/exports.md and are stable: a change to them is a new format
version. Every export reads a RoundResults, so it hides exactly the groups the pages hide.

Text that people typed (comments, and names facilitators entered) is neutralised before it
goes into a spreadsheet: a cell starting with = + - @, a tab or a carriage return (after any
apostrophes) gets one more leading apostrophe, so a spreadsheet shows it as text instead of
running it as a formula. An importer removes that one apostrophe again (restore()).
"""

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from django.conf import settings
from django.utils import timezone

from sixways.actions.models import Action
from sixways.instruments.shape import Shape, shapes
from sixways.partnerships.models import SECTOR_GROUPS
from sixways.rounds.models import Answer, Comment, Response

from . import privacy, scoring
from .comments import all_comments
from .layers import Layers, OrganisationLayers
from .queries import SUBMITTED, snapshot
from .rollup import Rollup
from .types import RoundResults

RESPONSES_FORMAT = "sixways-responses/1"
RESULTS_FORMAT = "sixways-results/2"  # 2: the action plan added
ACTIONS_FORMAT = "sixways-actions/1"
LAYERS_FORMAT = "sixways-agreed-and-individual/1"
ROLLUP_FORMAT = "sixways-rollup/1"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Make typed text safe for a spreadsheet cell (OWASP CSV injection advice).

    Text that starts with a formula character, after any apostrophes, gets one more
    apostrophe in front, so that restore() can always give back exactly what was typed.
    """
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


def restore(text: str) -> str:
    """The importer's half of neutralise(): the text as it was typed."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS):
        return text[1:]
    return text


def number(value: Fraction | float | None, places: int = 4) -> float | None:
    return None if value is None else round(float(value), places)


# --- Anonymised responses -------------------------------------------------------------------


@dataclass
class ResponseRow:
    organisation: str
    organisation_code: str
    sector: str
    answers: dict[str, str]  # question key -> option key
    comments: dict[str, str]  # behaviour key -> text
    order: str


def response_columns(structure: Shape) -> list[str]:
    return [
        "format",
        "instrument",
        "instrument_version",
        "round",
        "response",
        "organisation",
        "organisation_code",
        "sector",
        *(f"q{q.key}" for q in structure.questions),
        *(f"comment_{s.key}" for s in structure.sections),
    ]


def anonymised_responses(results: RoundResults) -> tuple[Shape, list[ResponseRow]]:
    """One row per sent response, labelled only as the round's privacy plan allows.

    In individual mode a response names its organisation and sector only when the pages show
    that organisation; a pooled organisation's rows say "Other organisations" and no sector,
    so nothing in the file separates the pool's members (privacy.py). Rows come in an order
    that says nothing: neither by organisation nor by the time sent. Three queries however
    many responses there are.
    """
    round_ = results.round
    with snapshot():
        structure = shapes({round_.instrument_id})[round_.instrument_id]
        shown_orgs = {o.key: o for o in results.organisation_results if o.shown and not o.pool}
        responses = list(
            Response.objects.filter(round=round_, state=SUBMITTED).values_list(
                "id", "organisation", "organisation__sector"
            )
        )
        # Ids only, read from the answer_counts index; the keys are looked up here.
        question_key = {q.pk: q.key for q in structure.questions}
        option_key = {o.pk: o.key for o in structure.options}
        answers: dict[int, dict[str, str]] = {pk: {} for pk, _, _ in responses}
        for response, question, option in Answer.objects.filter(
            response__round=round_, response__state=SUBMITTED
        ).values_list("response", "question", "option"):
            answers[response][question_key[question]] = option_key[option]
        comments: dict[int, dict[str, str]] = {pk: {} for pk, _, _ in responses}
        for response, section, text in Comment.objects.filter(
            response__round=round_, response__state=SUBMITTED
        ).values_list("response", "section__key", "text"):
            comments[response][section] = text

    rows = []
    for pk, org, sector_key in responses:
        sector = str(SECTOR_GROUPS[sector_key]) if sector_key else ""
        # organisation_results holds only what this viewer may see, and shows only what the
        # round's privacy plan allows.
        group = shown_orgs.get(org) if org is not None else None
        named = group is not None
        pooled = org in results.visibility.pooled
        rows.append(
            ResponseRow(
                organisation=group.name if named else (privacy.POOL_NAME if pooled else ""),
                organisation_code=group.code if named else "",
                sector=sector if (named or not results.individual) else "",
                answers=answers[pk],
                comments=comments[pk],
                # Neither the database order nor the time sent: both could point to a person.
                order=hmac.new(
                    settings.SECRET_KEY.encode(), f"response-{pk}".encode(), hashlib.sha256
                ).hexdigest(),
            )
        )
    rows.sort(key=lambda r: r.order)
    return structure, rows


def response_records(results: RoundResults) -> tuple[list[str], list[list]]:
    """The responses table as header and rows of plain values, shared by CSV and Excel."""
    structure, rows = anonymised_responses(results)
    round_ = results.round
    records = []
    for number_, row in enumerate(rows, start=1):
        records.append(
            [
                RESPONSES_FORMAT,
                round_.instrument.key,
                round_.instrument.version,
                round_.title,
                number_,
                row.organisation,
                row.organisation_code,
                row.sector,
                *(row.answers.get(q.key, "") for q in structure.questions),
                *(row.comments.get(s.key, "") for s in structure.sections),
            ]
        )
    return response_columns(structure), records


# Columns of the responses table holding text someone typed: the round's title, an
# organisation's name and code, and comments. Only these can start with a formula character,
# so only these are neutralised; the rest are fixed values (numbers, sector labels, answer keys).
TYPED_COLUMNS = {"round", "organisation", "organisation_code"}


def typed_columns(header: list[str]) -> list[bool]:
    return [name in TYPED_COLUMNS or name.startswith("comment_") for name in header]


CSV_BATCH = 1000  # rows a chunk of the streamed CSV


def responses_csv_chunks(results: RoundResults) -> Iterator[bytes]:
    """The responses CSV, a thousand rows a chunk, for a streamed download.

    The rows are read (in one snapshot) before the first chunk is given, so a database
    error is still a proper error page rather than half a file.
    """
    header, records = response_records(results)
    typed = typed_columns(header)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def chunks() -> Iterator[bytes]:
        # A byte order mark so that spreadsheet programs read Welsh letters and emoji as UTF-8.
        buffer.write("\ufeff")
        writer.writerow(header)
        for start in range(0, len(records), CSV_BATCH):
            for record in records[start : start + CSV_BATCH]:
                writer.writerow(
                    [
                        neutralise(v) if t and isinstance(v, str) else v
                        for v, t in zip(record, typed, strict=True)
                    ]
                )
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue().encode()

    return chunks()


# --- The action plan -----------------------------------------------------------------------

ACTION_COLUMNS = [
    "format",
    "round",
    "action",
    "behaviour",
    "behaviour_title",
    "questions",
    "title",
    "done_looks_like",
    "owner",
    "organisation",
    "due_on",
    "status",
    "latest_note",
    "added_on",
]
# Typed by people, so neutralised in spreadsheets; the rest are keys, dates and status words.
TYPED_ACTION_COLUMNS = {
    "round",
    "title",
    "done_looks_like",
    "owner",
    "organisation",
    "latest_note",
}


def action_records(results: RoundResults, actions: list[Action]) -> tuple[list[str], list[list]]:
    """The round's action plan (actions.review.plan) as header and rows, for CSV and Excel."""
    records = [
        [
            ACTIONS_FORMAT,
            results.round.title,
            action.pk,
            action.section.key,
            action.section.title,
            " ".join(sorted((q.key for q in action.questions.all()), key=_question_order)),
            action.title,
            action.done_looks_like,
            action.owner_name,
            action.organisation.name if action.organisation else "",
            action.due_on.isoformat(),
            action.get_status_display(),
            action.latest_note,
            timezone.localdate(action.created_at).isoformat(),
        ]
        for action in actions
    ]
    return ACTION_COLUMNS, records


def _question_order(key: str) -> tuple[int, ...]:
    return tuple(int(part) for part in key.split(".") if part.isdigit())


def _small_csv(header: list[str], records: list[list], typed: set[str]) -> bytes:
    """A short table as CSV, as the responses CSV is written: a byte order mark, Windows line
    endings, typed columns neutralised, missing values empty."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for record in records:
        writer.writerow(
            [
                "" if v is None else (neutralise(v) if name in typed else v)
                for v, name in zip(record, header, strict=True)
            ]
        )
    return buffer.getvalue().encode()


def actions_csv_bytes(results: RoundResults, actions: list[Action]) -> bytes:
    return _small_csv(*action_records(results, actions), TYPED_ACTION_COLUMNS)


def _action(action: Action) -> dict:
    return {
        "id": action.pk,
        "behaviour": action.section.key,
        "questions": sorted((q.key for q in action.questions.all()), key=_question_order),
        "title": action.title,
        "done_looks_like": action.done_looks_like,
        "owner": action.owner_name,
        "organisation": action.organisation.name if action.organisation else None,
        "due_on": action.due_on.isoformat(),
        "status": action.status,
        "status_words": action.get_status_display(),
        "latest_note": action.latest_note,
    }


# --- Agreed and individual answers side by side ------------------------------------------


def layer_columns(options) -> list[str]:
    return [
        "format",
        "round",
        "behaviour",
        "question",
        "agreed",
        "individual_people",
        *(f"individual_{o.key}" for o in options),
        "individual_mean",
        "gap",
        "masked_dissent",
    ]


def layer_records(results: RoundResults, layers: Layers | None) -> tuple[list[str], list[list]]:
    """One row a question: the agreed answer, people's own answers where at least K answered
    it (empty otherwise), and the gap (layers.round_layers)."""
    header = layer_columns(results.options)
    records = []
    for b in layers.behaviours if layers else []:
        for q in b.questions:
            f = q.figures
            records.append(
                [
                    LAYERS_FORMAT,
                    results.round.title,
                    b.section.key,
                    q.question.key,
                    f.agreed or "",
                    f.people if f.shown else None,
                    *((f.counts.get(o.key, 0) if f.shown else None) for o in results.options),
                    number(f.mean),
                    number(f.gap),
                    "yes" if f.masked else "no",
                ]
            )
    return header, records


def layers_csv_bytes(results: RoundResults, layers: Layers | None) -> bytes:
    # Only the round's title is typed text; the rest are keys and numbers.
    return _small_csv(*layer_records(results, layers), {"round"})


ORGANISATION_LAYERS_FORMAT = "sixways-agreed-and-individual-by-organisation/1"


def organisation_layer_records(
    results: RoundResults, found: OrganisationLayers
) -> tuple[list[str], list[list]]:
    """One row a group and question: an organisation's people (or the other organisations')
    beside the agreed answer, where at least K of them answered it; `counted_with_others` where
    that question counts them with the other organisations (layers.organisation_layers)."""
    header = [
        "format",
        "round",
        "organisation",
        "organisation_code",
        "behaviour",
        "question",
        "agreed",
        "counted_with_others",
        "individual_people",
        *(f"individual_{o.key}" for o in results.options),
        "individual_mean",
        "gap",
        "masked_dissent",
    ]
    codes = {g.key: g.code for g in results.organisation_results}
    records = []
    for group in found.groups:
        for section, questions in found.sections:
            for question in questions:
                f = group.figures.get(question.pk)
                shown = f is not None and f.shown
                records.append(
                    [
                        ORGANISATION_LAYERS_FORMAT,
                        results.round.title,
                        group.name,
                        codes.get(group.key, ""),
                        section.key,
                        question.key,
                        found.agreed.get(question.pk, ""),
                        "yes" if f is None else "no",
                        f.people if shown else None,
                        *((f.counts.get(o.key, 0) if shown else None) for o in results.options),
                        number(f.mean) if shown else None,
                        number(f.gap) if shown else None,
                        "yes" if shown and f.masked else "no",
                    ]
                )
    return header, records


def organisation_layers_csv_bytes(results: RoundResults, found: OrganisationLayers) -> bytes:
    return _small_csv(
        *organisation_layer_records(results, found), {"round", "organisation", "organisation_code"}
    )


def _layers(layers: Layers | None) -> dict | None:
    if layers is None:
        return None
    return {
        "individual_people": layers.people,
        "masked_dissent": [q.question.key for q in layers.masked],
        "behaviours": [
            {
                "key": b.section.key,
                "agreed_score": number(b.agreed),
                "individual_mean": number(b.individual),
                "gap": number(b.gap),
                "questions": [
                    {
                        "key": q.question.key,
                        "agreed": q.figures.agreed,
                        "individual_shown": q.figures.shown,
                        "individual_people": q.figures.people if q.figures.shown else None,
                        "individual_answers": dict(q.figures.counts) if q.figures.shown else None,
                        "individual_mean": number(q.figures.mean),
                        "gap": number(q.figures.gap),
                        "masked_dissent": q.figures.masked,
                    }
                    for q in b.questions
                ],
            }
            for b in layers.behaviours
        ],
    }


# --- Results as JSON ------------------------------------------------------------------------


def _spread(spread) -> dict | None:
    if spread is None:
        return None
    return {
        "low": number(spread.low),
        "high": number(spread.high),
        "range": number(spread.range),
        "standard_deviation": number(spread.stdev),
        "partners_see_this_differently": spread.differs,
    }


HIDDEN_REASONS = {
    privacy.SMALL: "pooled-fewer-than-min-group-size",
    privacy.MERGED: "pooled-so-the-pool-reaches-min-group-size",
    privacy.POOLED: "holds-pooled-organisations",
}


def _group(group, k) -> dict:
    """A shown organisation, the pool, a sector, or a partner lead's own pooled organisation."""
    return {
        "name": group.name if group.shown or group.own else None,
        "code": (group.code or None) if group.shown and not group.pool else None,
        "sector": (group.sector or None) if group.shown else None,
        "respondents": privacy.shown_count(group.respondents, k) if group.shown else None,
        "organisations": group.organisations,
        "shown": group.shown,
        "pool": group.pool,
        "hidden_reason": None if group.shown else HIDDEN_REASONS.get(group.reason),
        "scores": {key: number(value) for key, value in group.scores.items()},
        "answers": group.splits,
    }


def results_json(
    results: RoundResults,
    actions: list[Action] = (),
    earlier_actions: dict[str, list[Action]] | None = None,
    layers: Layers | None = None,
) -> dict:
    """The round's results, its action plan (actions.review.plan) and, per behaviour, where
    the actions agreed at the previous round stand (actions.review.agreed_at)."""
    round_ = results.round
    k = results.min_group_size
    reason = None
    if results.responses == 0:
        reason = "no-responses"
    elif results.suppressed:
        reason = "fewer-responses-than-min-group-size"
    elif results.awaiting_close:
        reason = "round-still-open"
    elif results.withheld:
        reason = "too-few-responses-through-personal-links"
    data = {
        "format": RESULTS_FORMAT,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "partnership": {"id": round_.partnership_id, "name": round_.partnership.name},
        "round": {
            "id": round_.pk,
            "title": round_.title,
            "mode": round_.mode,
            "status": round_.current_status,
            "opens_on": round_.opens_on.isoformat(),
            "closes_on": round_.closes_on.isoformat(),
        },
        "instrument": {"key": round_.instrument.key, "version": round_.instrument.version},
        "min_group_size": k,
        "responses": results.responses,
        "organisations": results.organisations,
        "figures_shown": results.shows_figures,
        "answers_deleted": results.answers_deleted,
        "not_shown_reason": reason,
        "options": [{"key": o.key, "label": o.label, "score": o.score} for o in results.options],
        "previous_round": {"id": results.previous.pk, "title": results.previous.title}
        if results.previous and results.shows_figures
        else None,
        "behaviours": [],
        "organisation_results": [],
        "sector_results": [],
        "self_partner_gap": None,
        "actions": [_action(a) for a in actions],
        "agreed_and_individual": None,
    }
    if not results.shows_figures:
        return data
    data["agreed_and_individual"] = _layers(layers)
    priority = {b.section.key: i for i, b in enumerate(results.priorities, start=1)}
    comments = all_comments(results)  # the pages show them a page at a time; this file, all
    for b in results.behaviours:
        data["behaviours"].append(
            {
                "key": b.section.key,
                "title": b.section.title,
                "short_title": b.section.short_title,
                "priority": priority.get(b.section.key),
                "score": number(b.score),
                "percent": number(b.percent, 2),
                "total": number(b.total),
                "max_total": b.max_total,
                "respondent_weighted": number(b.respondent_weighted),
                "spread": _spread(b.spread),
                "sector_spread": _spread(b.sector_spread),
                "change": number(b.change),
                "answers": b.split,
                "questions": [
                    {
                        "key": q.key,
                        "text": q.text,
                        "average": number(b.question_means.get(q.pk)),
                        "answers": b.counts.get(q.pk, {}),
                    }
                    for q in b.questions
                ],
                "comments": [
                    {"text": c.text, "organisation": c.by} for c in comments[b.section.pk]
                ],
                "previous_round_actions": [
                    {"id": a.pk, "title": a.title, "status": a.status}
                    for a in (earlier_actions or {}).get(b.section.key, [])
                ],
            }
        )
    data["organisation_results"] = [_group(o, k) for o in results.organisation_results]
    data["sector_results"] = [_group(s, k) for s in results.sector_results]
    if results.gap:
        gap = results.gap
        data["self_partner_gap"] = {
            "own_question": gap.own_question.key,
            "partners_question": gap.partners_question.key,
            "own": number(gap.own),
            "partners": number(gap.partners),
            "gap": number(gap.gap),
            "own_answers": gap.own_split,
            "partners_answers": gap.partners_split,
        }
    return data


def results_json_bytes(
    results: RoundResults, actions=(), earlier_actions=None, layers=None
) -> bytes:
    data = results_json(results, actions, earlier_actions, layers)
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


# --- A partnership's children side by side (rollup.py) --------------------------------------


def rollup_records(found: Rollup) -> tuple[list[str], list[list]]:
    """One row a child and closed round, newest round first within each child: its figures
    where its round shows them, empty where not (with the reason)."""
    keys = [s.key for s in found.sections]
    header = [
        "format",
        "parent",
        "partnership",
        "level",
        "round",
        "closed_on",
        "mode",
        "responses",
        "shown",
        "why_not_shown",
        *(f"behaviour_{key}" for key in keys),
        *(f"change_{key}" for key in keys),
    ]
    records = []
    for child in found.children:
        if not child.points:
            records.append(
                [
                    ROLLUP_FORMAT,
                    found.parent.name,
                    child.partnership.name,
                    child.partnership.get_level_display(),
                    "",
                    "",
                    "",
                    None,
                    "no",
                    child.why_not_shown,
                    *([None] * (2 * len(keys))),
                ]
            )
        for index, point in reversed(list(enumerate(child.points))):
            previous = child.points[index - 1] if index else None
            change = (
                scoring.change(point.scores, previous.scores)
                if point.shown and previous and previous.shown
                else {}
            )
            records.append(
                [
                    ROLLUP_FORMAT,
                    found.parent.name,
                    child.partnership.name,
                    child.partnership.get_level_display(),
                    point.round.title,
                    point.closed_on.isoformat() if point.closed_on else "",
                    point.round.mode,
                    point.responses_shown,
                    "yes" if point.shown else "no",
                    "" if point.shown else _why_not(point),
                    *(number(point.scores.get(key)) for key in keys),
                    *(number(change.get(key)) for key in keys),
                ]
            )
    return header, records


def _why_not(point) -> str:
    if point.responses == 0:
        return "no responses"
    return f"fewer than {settings.MIN_GROUP_SIZE} responses that count"


def rollup_csv_bytes(found: Rollup) -> bytes:
    return _small_csv(*rollup_records(found), {"parent", "partnership", "round"})


def rollup_json(found: Rollup) -> dict:
    def distribution(d) -> dict | None:
        if d is None:
            return None
        return {
            "partnerships": d.count,
            "low": number(d.low),
            "lower_quartile": number(d.lower_quartile),
            "median": number(d.median),
            "upper_quartile": number(d.upper_quartile),
            "high": number(d.high),
        }

    header, records = rollup_records(found)
    return {
        "format": ROLLUP_FORMAT,
        "parent": found.parent.name,
        "level": found.parent.get_level_display(),
        "min_group_size": settings.MIN_GROUP_SIZE,
        "generated_at": timezone.now().isoformat(),
        "not_sharing_figures": [c.name for c in found.keeping_to_themselves],
        "across": [
            {
                "behaviour": a.key,
                "title": a.title,
                "distribution": distribution(a.distribution),
                "mean_of_partnerships": number(a.mean_of_partnerships),
                "all_responses": number(a.all_responses),
            }
            for a in found.across
        ],
        "rounds": [dict(zip(header[1:], record[1:], strict=True)) for record in records],
        "comments": {
            child.partnership.name: {
                key: [c.text for c in comments] for key, comments in child.comments.items()
            }
            for child in found.children
            if child.comments
        },
    }


def rollup_json_bytes(found: Rollup) -> bytes:
    return json.dumps(rollup_json(found), indent=2, ensure_ascii=False).encode()
