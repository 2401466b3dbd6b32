"""Read, check and load instrument files.

A file is checked completely before anything touches the database, and a problem is reported
with the exact key that is wrong, so a broken file is refused rather than half-loaded.
"""

import hashlib
import json
import tomllib
from pathlib import Path

from django.db import transaction

from .models import Instrument, Option, Question, Resource, Section

DATA_DIR = Path(__file__).parent / "data"


class InstrumentError(ValueError):
    pass


def _text(data: dict, field: str, where: str, *, required: bool = True) -> str:
    value = data.get(field, "")
    if not isinstance(value, str):
        raise InstrumentError(f"{where}: {field!r} must be text")
    if required and not value.strip():
        raise InstrumentError(f"{where}: {field!r} is missing or empty")
    return value.strip()


def _list(data: dict, field: str, where: str) -> list:
    value = data.get(field)
    if not isinstance(value, list) or not value:
        raise InstrumentError(f"{where}: {field!r} must be a non-empty list")
    if not all(isinstance(item, dict) for item in value):
        raise InstrumentError(f"{where}: every entry of {field!r} must be a table")
    return value


def validate(data: dict) -> dict:
    """Return the instrument in a normal form, or raise InstrumentError naming the problem."""
    key = _text(data, "key", "instrument")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InstrumentError("instrument: 'version' must be a whole number of 1 or more")

    scale, seen_scores = [], set()
    for index, option in enumerate(_list(data, "scale", "instrument"), start=1):
        where = f"scale option {option.get('key', index)!r}"
        option_key = _text(option, "key", where)
        score = option.get("score")
        if not isinstance(score, int) or isinstance(score, bool) or score < 0:
            raise InstrumentError(f"{where}: 'score' must be a whole number of 0 or more")
        if option_key in {o["key"] for o in scale}:
            raise InstrumentError(f"{where}: duplicate key")
        if score in seen_scores:
            raise InstrumentError(f"{where}: another option already has score {score}")
        seen_scores.add(score)
        scale.append({"key": option_key, "label": _text(option, "label", where), "score": score})

    sections, question_keys = [], set()
    for section in _list(data, "sections", "instrument"):
        where = f"section {section.get('key', '?')!r}"
        section_key = _text(section, "key", where)
        if section_key in {s["key"] for s in sections}:
            raise InstrumentError(f"{where}: duplicate key")
        if not section.get("questions"):
            raise InstrumentError(f"{where}: has no questions")
        questions = []
        for question in _list(section, "questions", where):
            q_where = f"question {question.get('key', '?')!r}"
            question_key = _text(question, "key", q_where)
            if question_key in question_keys:
                raise InstrumentError(f"{q_where}: duplicate key")
            if not question_key.startswith(f"{section_key}."):
                raise InstrumentError(
                    f"{q_where}: key must start with its section key {section_key}."
                )
            question_keys.add(question_key)
            questions.append(
                {
                    "key": question_key,
                    "text": _text(question, "text", q_where),
                    "hint": _text(question, "hint", q_where, required=False),
                }
            )
        sections.append(
            {
                "key": section_key,
                "short_title": _text(section, "short_title", where),
                "title": _text(section, "title", where),
                "guidance": _text(section, "guidance", where),
                "questions": questions,
            }
        )

    resources = []
    for index, resource in enumerate(data.get("resources", []), start=1):
        where = f"resource {index}"
        if not isinstance(resource, dict):
            raise InstrumentError(f"{where}: must be a table")
        url = _text(resource, "url", where, required=False)
        if url and not url.startswith("https://"):
            raise InstrumentError(f"{where}: 'url' must start with https://")
        resources.append(
            {
                "title": _text(resource, "title", where),
                "url": url,
                "description": _text(resource, "description", where, required=False),
            }
        )

    return {
        "key": key,
        "version": version,
        "title": _text(data, "title", "instrument"),
        "credit": _text(data, "credit", "instrument"),
        "source_url": _text(data, "source_url", "instrument", required=False),
        "scale": scale,
        "sections": sections,
        "resources": resources,
    }


def read(path: Path) -> dict:
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise InstrumentError(f"{path.name}: not valid TOML: {error}") from None
    return validate(data)


def content_hash(instrument: dict) -> str:
    return hashlib.sha256(json.dumps(instrument, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def load(instrument: dict) -> tuple[Instrument, bool]:
    """Store a validated instrument. Returns (instrument, created). Loading again is a no-op."""
    digest = content_hash(instrument)
    existing = Instrument.objects.filter(
        key=instrument["key"], version=instrument["version"]
    ).first()
    if existing:
        if existing.content_hash != digest:
            raise InstrumentError(
                f"instrument {instrument['key']!r} version {instrument['version']} is already "
                "loaded with different content: a change of wording needs a new version number"
            )
        return existing, False

    stored = Instrument.objects.create(
        key=instrument["key"],
        version=instrument["version"],
        title=instrument["title"],
        credit=instrument["credit"],
        source_url=instrument["source_url"],
        content_hash=digest,
    )
    Option.objects.bulk_create(
        Option(instrument=stored, position=i, **option)
        for i, option in enumerate(instrument["scale"], start=1)
    )
    for s_position, section in enumerate(instrument["sections"], start=1):
        questions = section["questions"]
        fields = {k: v for k, v in section.items() if k != "questions"}
        section_row = Section.objects.create(instrument=stored, position=s_position, **fields)
        Question.objects.bulk_create(
            Question(instrument=stored, section=section_row, position=q_position, **question)
            for q_position, question in enumerate(questions, start=1)
        )
    Resource.objects.bulk_create(
        Resource(instrument=stored, position=i, **resource)
        for i, resource in enumerate(instrument["resources"], start=1)
    )
    return stored, True


def load_all() -> list[tuple[Instrument, bool]]:
    return [load(read(path)) for path in sorted(DATA_DIR.glob("*.toml"))]


def current(key: str = "six-ways") -> Instrument:
    """The newest loaded version of an instrument: the one new rounds use."""
    return Instrument.objects.filter(key=key).order_by("-version").first()
