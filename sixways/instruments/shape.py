"""An instrument version's shape: its answer scale, behaviours (sections) and questions, in
questionnaire order. The participant journey, the results and the downloads all read it
through this one type.

`shape(instrument)` keeps each version's shape for the life of the process: instruments are
never edited once a round uses them, and the key includes when the version was loaded, so a
new instrument that reuses an id (after a rolled-back test, say) is read afresh.
`shapes(ids)` reads any number of versions in three queries, uncached, for the results, whose
query count must not depend on what this process happened to read before.
"""

from .models import Instrument, Option, Question, Section


class Shape:
    def __init__(self, options: list[Option], sections: list[Section], questions: list[Question]):
        self.options = options
        self.sections = sections
        self.questions = questions
        self.options_by_id = {option.pk: option for option in options}
        by_id = {section.pk: section for section in sections}
        for question in questions:
            question.section = by_id[question.section_id]

    @property
    def max_score(self) -> int:
        return max(option.score for option in self.options)

    def questions_in(self, section: Section) -> list[Question]:
        return [q for q in self.questions if q.section_id == section.pk]


def shapes(instrument_ids: set[int]) -> dict[int, Shape]:
    """Three queries for any number of instrument versions."""
    parts: dict[int, tuple[list, list, list]] = {i: ([], [], []) for i in instrument_ids}
    for option in Option.objects.filter(instrument_id__in=instrument_ids):
        parts[option.instrument_id][0].append(option)
    for section in Section.objects.filter(instrument_id__in=instrument_ids):
        parts[section.instrument_id][1].append(section)
    for question in Question.objects.filter(instrument_id__in=instrument_ids):
        parts[question.instrument_id][2].append(question)
    return {i: Shape(*lists) for i, lists in parts.items()}


_kept: dict[tuple, Shape] = {}


def shape(instrument: Instrument) -> Shape:
    key = (instrument.pk, instrument.loaded_at, instrument.content_hash)
    found = _kept.get(key)
    if found is None:
        found = _kept[key] = shapes({instrument.pk})[instrument.pk]
    return found
