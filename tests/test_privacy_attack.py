"""A determined facilitator tries to re-identify the people of a closed individual-mode round.

The attacker reads only what a facilitator is given: the partnership page (each partner's
sector), the round page (how many people of each organisation sent answers), the anonymised
responses (CSV and the workbook's Responses sheet), the results (JSON and the workbook's
figures, which carry full precision) and the comment pages. `published()` reads them into a
`Published`; `attack()` works on that alone, so it runs unchanged whatever the service does
inside, and can be given a publication built by hand.

The attack: every row not named as a shown organisation's belongs to one of the organisations
that are not shown. The attacker tries every way of sharing those rows out among them (rows
that look the same are interchangeable) that fits the counts on the round page, and keeps the
ways that reproduce every published figure: the partnership's scores and question averages
(each organisation equal), the shown sectors' scores, answers and counts, and the order of the
comments. Where there are too many ways to try, it solves the same figures as linear equations
in exact fractions instead. It has found something when a hidden organisation's score, or a
row it sent, is the same in every way it kept but not in every way the counts allow: a fact
the published rows alone (say, all identical) already give away is not a leak of the figures.

The partnership's figures are read two ways: each hidden organisation counting as one (as the
partnership score is documented), or the organisations that are not shown counted together as
that many organisations at their respondents' mean, which says nothing about the sharing. The
comments' order is used only when it is by organisation name beyond what chance would give. A
family of figures no sharing-out can reproduce is one the attacker misreads, and it is ignored
rather than trusted; and a fact it claims counts as a leak in these tests only when it is so.
"""

import csv
import dataclasses
import hashlib
import io
import itertools
import json
import math
import sys
from collections import Counter
from fractions import Fraction

import openpyxl
from django.urls import reverse
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from lxml import html

from sixways.instruments.models import Option, Question, Section
from sixways.partnerships.models import SECTOR_GROUPS, Sector
from sixways.rounds.answering import save_section, submit
from sixways.rounds.models import Invitation, Response
from tests.conftest import add_organisation, make_round, make_user

# Beyond this many ways of sharing out the rows, the attacker solves equations instead.
EXHAUSTIVE_LIMIT = 10_000
SECTOR_GROUP = {str(Sector(value).label): str(group) for value, group in SECTOR_GROUPS.items()}


# --- What a facilitator is given ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Reading:
    """A published number: as the workbook holds it (places None) or rounded to places."""

    value: float
    places: int | None = None

    def fits(self, exact: Fraction) -> bool:
        # Within half a unit of the last place, whichever way the service rounds halves.
        slack = 1e-9 if self.places is None else 0.5 * 10**-self.places + 1e-12
        return abs(float(exact) - self.value) <= slack


@dataclasses.dataclass(frozen=True)
class Row:
    """One person's answers as the responses download gives them."""

    answers: tuple[int, ...]  # the score of each answer, in questionnaire order
    comments: tuple[str, ...]  # one per behaviour, "" for none


@dataclasses.dataclass
class Figures:
    """A shown organisation's or sector's published figures."""

    respondents: int | None = None
    scores: dict[str, list[Reading]] = dataclasses.field(
        default_factory=dict
    )  # behaviour -> readings
    answers: dict[str, dict[int, int]] = dataclasses.field(
        default_factory=dict
    )  # behaviour -> score -> n


@dataclasses.dataclass
class Published:
    k: int
    behaviours: list[str]  # behaviour keys, in order
    questions: list[tuple[str, str]]  # (question key, behaviour key), in questionnaire order
    sector_of: dict[str, str]  # partner organisation -> sector group
    sent: dict[str, int | None]  # round page; None where it says only "fewer than K"
    rows: list[tuple[str, str, Row]]  # (organisation label, sector label, row), from the CSV
    workbook_rows: list[tuple[str, str, Row]] = dataclasses.field(default_factory=list)
    organisations: dict[str, Figures] = dataclasses.field(default_factory=dict)  # shown, by name
    sectors: dict[str, Figures] = dataclasses.field(default_factory=dict)  # shown, by sector
    question_average: dict[str, list[Reading]] = dataclasses.field(default_factory=dict)
    behaviour_score: dict[str, list[Reading]] = dataclasses.field(default_factory=dict)
    comments: dict[str, list[tuple[str, str | None]]] = dataclasses.field(default_factory=dict)


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


def _cells(tree, path: str) -> list[list[str]]:
    return [
        [cell.text_content().strip() for cell in row.xpath("./th|./td")] for row in tree.xpath(path)
    ]


def _rows_from(records: list[dict], questions, score_of) -> list[tuple[str, str, Row]]:
    behaviours = list(dict.fromkeys(b for _, b in questions))
    rows = []
    for record in records:
        answers = tuple(score_of[str(record[f"q{q}"])] for q, _ in questions)
        comments = tuple(str(record.get(f"comment_{b}") or "") for b in behaviours)
        rows.append(
            (
                str(record.get("organisation") or ""),
                str(record.get("sector") or ""),
                Row(answers, comments),
            )
        )
    return rows


def _readings(json_value, workbook_value) -> list[Reading]:
    readings = []
    if isinstance(json_value, int | float):
        readings.append(Reading(float(json_value), 4))
    if isinstance(workbook_value, int | float):
        readings.append(Reading(float(workbook_value)))
    return readings


def _sheet(book, name) -> list[list]:
    return [list(r) for r in book[name].iter_rows(values_only=True)] if name in book else []


def published(client, round_) -> Published:
    """Everything a facilitator of the round can read, as they would read it."""
    partnership = html.fromstring(
        client.get(reverse("partnerships:detail", args=[round_.partnership_id])).content
    )
    sector_of = {
        cells[0]: SECTOR_GROUP.get(cells[1], cells[1])
        for cells in _cells(partnership, "//table[.//th[.='Sector']]/tbody/tr")
    }
    page = html.fromstring(client.get(reverse("rounds:detail", args=[round_.pk])).content)
    sent = {
        cells[0]: _number(cells[3])
        for cells in _cells(page, "//table[@id='progress']/tbody/tr")
        if cells[0] != "Total"
    }
    data = json.loads(client.get(reverse("results:json", args=[round_.pk])).content)
    score_of = {o["key"]: o["score"] for o in data["options"]}
    behaviours = [b["key"] for b in data["behaviours"]]
    questions = [(q["key"], b["key"]) for b in data["behaviours"] for q in b["questions"]]
    pub = Published(
        k=data["min_group_size"],
        behaviours=behaviours,
        questions=questions,
        sector_of=sector_of,
        sent=sent,
        rows=[],
    )
    if not data["figures_shown"]:
        return pub

    csv_response = client.get(reverse("results:csv", args=[round_.pk]))
    if csv_response.status_code == 200:
        content = (
            b"".join(csv_response.streaming_content)
            if csv_response.streaming
            else csv_response.content
        ).decode("utf-8-sig")
        pub.rows = _rows_from(list(csv.DictReader(io.StringIO(content))), questions, score_of)

    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("results:xlsx", args=[round_.pk])).content), read_only=True
    )
    results = _sheet(book, "Results")
    full_score, full_average = {}, {}
    # The figures at full precision, where the sheet has the columns a reader looks for.
    if results and "Score (0 to 3)" in results[0]:
        column = results[0].index("Score (0 to 3)")
        for row in results[1:]:
            if row and row[0] in behaviours:
                full_score[row[0]] = row[column]
    for index, row in enumerate(results):
        if row and row[0] == "Question" and "Average (each organisation equal)" in row:
            column = row.index("Average (each organisation equal)")
            for question in results[index + 1 :]:
                if question and question[0]:
                    full_average[question[0]] = question[column]
    responses = _sheet(book, "Responses")
    if responses:
        header = [str(h) for h in responses[0]]
        records = [dict(zip(header, r, strict=False)) for r in responses[1:]]
        pub.workbook_rows = _rows_from(records, questions, score_of)
    sector_sheet = {r[0]: r for r in _sheet(book, "Sectors")[1:] if r and r[0]}

    for b in data["behaviours"]:
        pub.behaviour_score[b["key"]] = _readings(b["score"], full_score.get(b["key"]))
        for q in b["questions"]:
            pub.question_average[q["key"]] = _readings(q["average"], full_average.get(q["key"]))

    def figures(group, sheet_row=None) -> Figures:
        scores = {}
        for i, key in enumerate(behaviours):
            full = sheet_row[3 + i] if sheet_row and len(sheet_row) > 3 + i else None
            scores[key] = _readings((group.get("scores") or {}).get(key), full)
        answers = {
            key: {score_of[option]: n for option, n in split.items()}
            for key, split in (group.get("answers") or {}).items()
        }
        respondents = group.get("respondents")
        return Figures(respondents if isinstance(respondents, int) else None, scores, answers)

    for group in data["organisation_results"]:
        if group["shown"] and group["name"]:
            pub.organisations[group["name"]] = figures(group)
    for group in data["sector_results"]:
        if group["shown"] and group["name"]:
            pub.sectors[group["name"]] = figures(group, sector_sheet.get(group["name"]))

    for key in behaviours:
        listed, number = [], 1
        while True:
            response = client.get(
                reverse("results:comments", args=[round_.pk, key]), {"page": number}
            )
            if response.status_code != 200:
                break
            tree = html.fromstring(response.content)
            items = tree.xpath("//ul[contains(@class,'sixways-comments')]/li")
            for item in items:
                text = "".join(
                    t.text_content() for t in item.xpath(".//p[@class='sixways-comment']")
                )
                by = item.xpath(".//p[contains(@class,'sixways-comment-by')]")
                name = by[0].text_content().strip().removeprefix("From ").strip() if by else None
                listed.append((text, name or None))
            if not items or not tree.xpath("//a[contains(., 'Next page')]"):
                break
            number += 1
        pub.comments[key] = listed
    return pub


# --- The attacker -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Fact:
    """Something the attacker claims to know about one hidden organisation."""

    organisation: str
    kind: str  # "behaviour score", "answers" (all its rows) or "row" (one person's)
    value: object


@dataclasses.dataclass
class Finding:
    facts: list[Fact]
    method: str


def _allowed(readings: list[Reading], denominator: int) -> set[int] | None:
    """The numerators that fit every reading over this denominator; None: no reading."""
    if not readings:
        return None
    low, high = -math.inf, math.inf
    for r in readings:
        slack = 1e-9 if r.places is None else 0.5 * 10**-r.places
        low, high = (
            max(low, (r.value - slack) * denominator),
            min(high, (r.value + slack) * denominator),
        )
    if low > high:
        return set()
    return {
        y
        for y in range(math.floor(low) - 1, math.ceil(high) + 2)
        if all(r.fits(Fraction(y, denominator)) for r in readings)
    }


class _Setting:
    """The attack's fixed parts: who is shown, who is hidden, the unlabelled rows by type."""

    def __init__(self, pub: Published):
        self.pub = pub
        self.nq = len(pub.questions)
        self.behaviour_questions = {
            b: [i for i, (_, qb) in enumerate(pub.questions) if qb == b] for b in pub.behaviours
        }
        # Partners who sent answers (a pooled group on the round page is no partner).
        responding = {o for o, n in pub.sent.items() if n != 0 and o in pub.sector_of}
        self.shown = sorted(o for o in pub.organisations if o in responding)
        self.hidden = sorted(responding - set(self.shown))
        self.known = {o: [r for label, _, r in pub.rows if label == o] for o in self.shown}
        counted = Counter(
            (sector, row) for label, sector, row in pub.rows if label not in self.shown
        )
        self.types = sorted(counted, key=lambda t: (t[0], t[1].answers, t[1].comments))
        self.multiplicity = [counted[t] for t in self.types]
        self.candidates = [
            [i for i, h in enumerate(self.hidden) if not sector or pub.sector_of.get(h) == sector]
            for sector, _ in self.types
        ]
        self.features = [self.feature(row) for _, row in self.types]
        self.comments = pub.comments

    def feature(self, row: Row) -> tuple[int, ...]:
        """A row's answer scores, then how many of each score it gave in each behaviour."""
        split = []
        for b in self.pub.behaviours:
            scores = [row.answers[i] for i in self.behaviour_questions[b]]
            split += [scores.count(s) for s in range(4)]
        return (*row.answers, *split)

    def total(self, rows) -> tuple[int, ...]:
        features = [self.feature(r) for r in rows]
        width = self.nq + 4 * len(self.pub.behaviours)
        return tuple(sum(f[i] for f in features) for i in range(width))

    def size_vectors(self) -> list[tuple[int, ...]]:
        ranges = [
            [self.pub.sent[h]] if self.pub.sent[h] is not None else range(1, self.pub.k)
            for h in self.hidden
        ]
        people = sum(self.multiplicity)
        return [s for s in itertools.product(*ranges) if sum(s) == people]


class _Figures:
    """The published figures as checks on the hidden organisations' totals, for one set of
    hidden sizes. Totals are feature vectors (Setting.feature) summed over an organisation."""

    def __init__(self, setting: _Setting, sizes: tuple[int, ...]):
        self.s = setting
        pub = setting.pub
        self.sizes = sizes
        shown_sizes = [len(setting.known[o]) for o in setting.shown]
        self.n = len(shown_sizes) + len(sizes)
        self.lcm = math.lcm(*shown_sizes, *sizes)
        self.weight = [self.lcm // s for s in sizes]
        shown_total = {o: setting.total(setting.known[o]) for o in setting.shown}
        self.shown_weighted = [
            sum(self.lcm // len(setting.known[o]) * shown_total[o][q] for o in setting.shown)
            for q in range(setting.nq)
        ]
        # The partnership, each organisation counting as one: allowed weighted sums.
        denominator = self.lcm * self.n
        self.question_allowed = [
            _allowed(pub.question_average.get(q, []), denominator) for q, _ in pub.questions
        ]
        self.behaviour_allowed = {
            b: _allowed(pub.behaviour_score.get(b, []), denominator * len(qs))
            for b, qs in setting.behaviour_questions.items()
        }
        self.partnership_pooled = self._pooled_fits(shown_total)
        # Shown sectors holding hidden organisations.
        self.sectors = []
        for name, figures in pub.sectors.items():
            members = [i for i, h in enumerate(setting.hidden) if pub.sector_of.get(h) == name]
            if not members:
                continue
            shown_members = [o for o in setting.shown if pub.sector_of.get(o) == name]
            count = len(members) + len(shown_members)
            base = [
                sum(self.lcm // len(setting.known[o]) * shown_total[o][q] for o in shown_members)
                for q in range(setting.nq)
            ]
            split = [
                sum(shown_total[o][setting.nq + i] for o in shown_members)
                for i in range(4 * len(pub.behaviours))
            ]
            allowed = {
                b: _allowed(figures.scores.get(b, []), self.lcm * count * len(qs))
                for b, qs in setting.behaviour_questions.items()
            }
            answers = []
            for bi, b in enumerate(pub.behaviours):
                for score in range(4):
                    if b in figures.answers:
                        answers.append(figures.answers[b].get(score, 0) - split[4 * bi + score])
                    else:
                        answers.append(None)
            people = None
            if figures.respondents is not None:
                people = figures.respondents - sum(len(setting.known[o]) for o in shown_members)
            self.sectors.append((name, members, base, allowed, answers, people))

    def _pooled_fits(self, shown_total) -> bool:
        """Whether the partnership figures read as the hidden organisations pooled, each
        counted as one at their respondents' mean. Then they say nothing about the sharing."""
        s, pub = self.s, self.s.pub
        people = sum(self.sizes)
        pool = s.total(r for t, m in zip(s.types, s.multiplicity, strict=True) for r in [t[1]] * m)
        checked = False
        for q, (key, _) in enumerate(pub.questions):
            value = sum(
                (Fraction(shown_total[o][q], len(s.known[o])) for o in s.shown), Fraction(0)
            )
            value = (value + Fraction(len(self.sizes) * pool[q], people)) / self.n
            for reading in pub.question_average.get(key, []):
                checked = True
                if not reading.fits(value):
                    return False
        return checked

    def partnership(self, totals) -> bool:
        if self.partnership_pooled:
            return True
        s = self.s
        pairs = list(zip(self.weight, totals, strict=True))
        sums = []
        for q, allowed in enumerate(self.question_allowed):
            value = self.shown_weighted[q] + sum(w * t[q] for w, t in pairs)
            if allowed is not None and value not in allowed:
                return False  # most sharings fail at the first question: stop there
            sums.append(value)
        for b, qs in s.behaviour_questions.items():
            allowed = self.behaviour_allowed[b]
            if allowed is not None and sum(sums[q] for q in qs) not in allowed:
                return False
        return True

    def sector(self, index: int, totals) -> bool:
        s = self.s
        _, members, base, allowed, answers, people = self.sectors[index]
        if people is not None and people != sum(self.sizes[i] for i in members):
            return False
        for i, target in enumerate(answers):
            if target is not None and target != sum(totals[m][s.nq + i] for m in members):
                return False
        for b, qs in s.behaviour_questions.items():
            if allowed[b] is None:
                continue
            value = sum(base[q] for q in qs) + sum(
                self.weight[m] * totals[m][q] for m in members for q in qs
            )
            if value not in allowed[b]:
                return False
        return True


def _comment_model(setting: _Setting) -> bool:
    """Whether the comments read as listed by organisation name. Only then does the attacker
    use where an unnamed comment sits (one with no label at all: a comment labelled with a
    group, such as a pool, sits where its label does). The labelled ones must be in that
    order, and it must be an order that would hardly arise by chance (one in a thousand):
    otherwise a list that happens to look sorted would place unnamed comments by accident."""
    chance = Fraction(1)
    for listed in setting.comments.values():
        names = [by for _, by in listed if by]
        if names != sorted(names):
            return False
        chance /= math.factorial(len(names))
        for n in Counter(names).values():
            chance *= math.factorial(n)
    unnamed = any(by is None for listed in setting.comments.values() for _, by in listed)
    return unnamed and chance <= Fraction(1, 1000)


def _comments_fit(setting: _Setting, counts) -> bool:
    """With rows shared out as counts (organisation -> type -> n), can every behaviour's
    comments be in order of organisation name?"""
    pub = setting.pub
    for bi, b in enumerate(pub.behaviours):
        current = ""
        for text, by in setting.comments.get(b, []):
            if by and by not in setting.shown:
                continue  # a group's label, such as a pool's: it says nothing of the author
            if by:
                names = {by}
            else:
                names = {
                    setting.hidden[h]
                    for h, row_counts in enumerate(counts)
                    for t, n in enumerate(row_counts)
                    if n and setting.types[t][1].comments[bi] == text
                }
                if not names:
                    continue  # not an unlabelled row's comment: nothing to place
            later = [name for name in names if name >= current]
            if not later:
                return False
            current = min(later)
    return True


def _multisets(available: list[int], allowed: list[int], size: int):
    """Every way to take `size` rows from the types in `allowed`, at most `available[t]` each,
    as (type, count) pairs."""
    allowed = [t for t in allowed if available[t]]
    room = [0] * (len(allowed) + 1)
    for i in range(len(allowed) - 1, -1, -1):
        room[i] = room[i + 1] + available[allowed[i]]

    def go(i, size):
        if size == 0:
            yield ()
            return
        if room[i] < size:
            return
        t = allowed[i]
        for n in range(min(size, available[t]), max(0, size - room[i + 1]) - 1, -1):
            for rest in go(i + 1, size - n):
                yield ((t, n), *rest) if n else rest

    return go(0, size)


def _sharings(setting: _Setting, sizes):
    """Every way to share the unlabelled rows among the hidden organisations with these sizes:
    for each organisation its count of each row type, and the sum of those rows' features."""
    by_org = [set(t for t, c in enumerate(setting.candidates) if h in c) for h in range(len(sizes))]
    width = len(setting.features[0])
    types = len(setting.types)
    last = len(sizes) - 1

    def go(h, available):
        if h == last:
            # The last organisation takes what is left, if it may.
            if sum(available) != sizes[h] or any(
                n and t not in by_org[h] for t, n in enumerate(available)
            ):
                return
            choices = [tuple((t, n) for t, n in enumerate(available) if n)]
        else:
            choices = _multisets(available, sorted(by_org[h]), sizes[h])
        for taken in choices:
            rest = list(available)
            total = [0] * width
            mine = [0] * types
            for t, n in taken:
                rest[t] -= n
                mine[t] = n
                feature = setting.features[t]
                for i in range(width):
                    total[i] += n * feature[i]
            if h == last:
                yield (tuple(mine),), (tuple(total),)
                continue
            for counts, totals in go(h + 1, rest):
                yield (tuple(mine), *counts), (tuple(total), *totals)

    return go(0, list(setting.multiplicity))


def _sharing_count(by_org, sizes, h, available, memo, limit) -> int:
    """How many sharings there are of what is `available` among organisations h onwards."""
    if h == len(sizes):
        return 0 if any(available) else 1
    key = (h, available)
    if key not in memo:
        n = 0
        for taken in _multisets(list(available), by_org[h], sizes[h]):
            rest = list(available)
            for t, k in taken:
                rest[t] -= k
            n += _sharing_count(by_org, sizes, h + 1, tuple(rest), memo, limit)
            if n > limit:
                break
        memo[key] = n
    return memo[key]


def _too_many(setting: _Setting, limit: int) -> bool:
    """Whether there are more than `limit` sharings, counted without making them."""
    by_org = [
        sorted(t for t, c in enumerate(setting.candidates) if h in c)
        for h in range(len(setting.hidden))
    ]
    total = 0
    for sizes in setting.size_vectors():
        total += _sharing_count(by_org, sizes, 0, tuple(setting.multiplicity), {}, limit)
        if total > limit:
            return True
    return False


def _varies(values) -> bool:
    """Whether the values are not all the same (stopping at the first that differs)."""
    iterator = iter(values)
    first = next(iterator, None)
    return any(value != first for value in iterator)


def _facts_from(setting: _Setting, kept, everything) -> list[Fact]:
    """What is the same in every kept sharing but not in every sharing the counts allow.
    Each sharing is (sizes, counts, totals)."""

    def score(sharing, h, qs):
        sizes, _, totals = sharing
        return Fraction(sum(totals[h][q] for q in qs), sizes[h] * len(qs))

    facts = []
    for h, name in enumerate(setting.hidden):
        for b, qs in setting.behaviour_questions.items():
            values = {score(sharing, h, qs) for sharing in kept}
            if len(values) == 1 and _varies(score(sharing, h, qs) for sharing in everything):
                facts.append(Fact(name, "behaviour score", (b, values.pop())))
        held = {counts[h] for _, counts, _ in kept}
        if len(held) == 1 and _varies(counts[h] for _, counts, _ in everything):
            mine = held.pop()
            rows = Counter({setting.types[t][1]: n for t, n in enumerate(mine) if n})
            facts.append(Fact(name, "answers", rows))
        for t, (_, row) in enumerate(setting.types):
            if all(counts[h][t] for _, counts, _ in kept) and not all(
                counts[h][t] for _, counts, _ in everything
            ):
                facts.append(Fact(name, "row", row))
    return facts


def _exhaustive(setting: _Setting) -> list[Fact] | None:
    """Try every sharing-out; None when there are too many to try."""
    everything = []  # (sizes, counts, totals), and beside it which checks each passes
    passes = []
    if _too_many(setting, EXHAUSTIVE_LIMIT):
        return None
    use_comments = _comment_model(setting)
    for sizes in setting.size_vectors():
        figures = _Figures(setting, sizes)
        for counts, totals in _sharings(setting, sizes):
            checks = [figures.partnership(totals)]
            checks += [figures.sector(i, totals) for i in range(len(figures.sectors))]
            if use_comments:
                checks.append(_comments_fit(setting, counts))
            everything.append((sizes, counts, totals))
            passes.append(checks)
    if not everything:
        return []
    # A family of figures no sharing reproduces is one the attacker misreads: ignore it. The
    # families are the same for every set of sizes: the partnership, each shown sector holding
    # hidden organisations, and the comments.
    families = len(passes[0])
    understood = [f for f in range(families) if any(checks[f] for checks in passes)]
    kept = [
        sharing
        for sharing, checks in zip(everything, passes, strict=True)
        if all(checks[f] for f in understood)
    ]
    if not kept:
        return []
    return _facts_from(setting, kept, everything)


# Exact linear algebra over the counts of each row type in each hidden organisation.


class _Basis:
    def __init__(self, width: int):
        self.width = width
        self.rows: list[tuple[int, list[Fraction], Fraction]] = []
        self.consistent = True

    def _reduce(self, row, rhs):
        row = list(row)
        for pivot, base, value in self.rows:
            if row[pivot]:
                factor = row[pivot]
                row = [a - factor * b for a, b in zip(row, base, strict=True)]
                rhs -= factor * value
        return row, rhs

    def add(self, row, rhs=Fraction(0)) -> None:
        row, rhs = self._reduce([Fraction(x) for x in row], Fraction(rhs))
        pivot = next((i for i, x in enumerate(row) if x), None)
        if pivot is None:
            self.consistent &= rhs == 0
            return
        scale = row[pivot]
        row, rhs = [x / scale for x in row], rhs / scale
        for index, (other, base, value) in enumerate(self.rows):
            if base[pivot]:
                factor = base[pivot]
                self.rows[index] = (
                    other,
                    [a - factor * b for a, b in zip(base, row, strict=True)],
                    value - factor * rhs,
                )
        self.rows.append((pivot, row, rhs))

    def value(self, target) -> Fraction | None:
        """The target combination's value, when the equations fix it."""
        rest = [Fraction(x) for x in target]
        total = Fraction(0)
        for pivot, base, value in self.rows:
            if rest[pivot]:
                factor = rest[pivot]
                rest = [a - factor * b for a, b in zip(rest, base, strict=True)]
                total += factor * value
        return None if any(rest) else total

    def copy(self) -> "_Basis":
        other = _Basis(self.width)
        other.rows = [(p, list(r), v) for p, r, v in self.rows]
        other.consistent = self.consistent
        return other


def _linear(setting: _Setting) -> list[Fact]:
    """Solve the figures as linear equations in the counts (exact fractions): weaker than
    trying every sharing, as it ignores that counts are whole numbers, but it scales."""
    sizes_known = [setting.pub.sent[h] for h in setting.hidden]
    if None in sizes_known or sum(sizes_known) != sum(setting.multiplicity):
        return []
    sizes = tuple(sizes_known)
    figures = _Figures(setting, sizes)
    cells = [(t, h) for t, c in enumerate(setting.candidates) for h in c]
    column = {cell: i for i, cell in enumerate(cells)}
    width = len(cells)
    counts = _Basis(width)
    for t, m in enumerate(setting.multiplicity):
        counts.add([1 if cell[0] == t else 0 for cell in cells], m)
    for h, size in enumerate(sizes):
        counts.add([1 if cell[1] == h else 0 for cell in cells], size)
    if not counts.consistent:
        return []

    def weighted(q_indices, members) -> list[Fraction]:
        row = [Fraction(0)] * width
        for (t, h), i in column.items():
            if h in members:
                row[i] = Fraction(
                    figures.weight[h] * sum(setting.features[t][q] for q in q_indices)
                )
        return row

    everyone = set(range(len(sizes)))
    families = []
    if not figures.partnership_pooled:
        equations = []
        for q, allowed in enumerate(figures.question_allowed):
            if allowed is not None and len(allowed) == 1:
                equations.append(
                    (weighted([q], everyone), next(iter(allowed)) - figures.shown_weighted[q])
                )
        families.append(equations)
    for _, members, base, allowed, answers, _ in figures.sectors:
        equations = []
        for b, qs in setting.behaviour_questions.items():
            if allowed[b] is not None and len(allowed[b]) == 1:
                target = next(iter(allowed[b])) - sum(base[q] for q in qs)
                equations.append((weighted(qs, set(members)), target))
        for i, target in enumerate(answers):
            if target is not None:
                row = [Fraction(0)] * width
                for (t, h), c in column.items():
                    if h in members:
                        row[c] = Fraction(setting.features[t][setting.nq + i])
                equations.append((row, target))
        families.append(equations)
    full = counts.copy()
    for equations in families:
        trial = full.copy()
        for row, rhs in equations:
            trial.add(row, rhs)
        if trial.consistent:  # a family that cannot hold is one the attacker misreads
            full = trial

    facts = []
    for h, name in enumerate(setting.hidden):
        for b, qs in setting.behaviour_questions.items():
            target = [Fraction(0)] * width
            for (t, hh), i in column.items():
                if hh == h:
                    target[i] = Fraction(
                        sum(setting.features[t][q] for q in qs), sizes[h] * len(qs)
                    )
            value = full.value(target)
            if value is not None and counts.value(target) is None:
                facts.append(Fact(name, "behaviour score", (b, value)))
        for t, (_, row) in enumerate(setting.types):
            if (t, h) not in column:
                continue
            target = [Fraction(0)] * width
            target[column[(t, h)]] = Fraction(1)
            value = full.value(target)
            if value and counts.value(target) is None:
                facts.append(Fact(name, "row", row))
    return facts


def attack(pub: Published) -> Finding | None:
    """What the attacker can work out about the organisations that are not shown."""
    if not pub.rows and pub.workbook_rows:
        pub = dataclasses.replace(pub, rows=pub.workbook_rows)  # the CSV refused, say
    if not pub.rows:
        return None
    setting = _Setting(pub)
    if not setting.hidden or not setting.types:
        return None
    facts = _exhaustive(setting)
    method = "every sharing-out of the unlabelled rows"
    if facts is None:
        facts, method = _linear(setting), "exact linear equations"
    return Finding(facts, method) if facts else None


# --- Rounds to attack -----------------------------------------------------------------------

NAMES = ["Alder", "Birch", "Cedar", "Damson", "Elder", "Hazel", "Larch"]
SECTORS = [Sector.NHS_TRUST, Sector.ICB, Sector.LOCAL_AUTHORITY, Sector.CARE_PROVIDER, Sector.VCSE]
_serial = itertools.count(1)


@dataclasses.dataclass
class Truth:
    rows: dict[str, list[Row]]  # organisation name -> its people's rows

    def holds(self, fact: Fact) -> bool:
        rows = self.rows.get(fact.organisation, [])
        if fact.kind == "row":
            return fact.value in rows
        if fact.kind == "answers":
            return Counter(rows) == fact.value
        behaviour, value = fact.value
        index = [i for i, key in enumerate(QUESTION_BEHAVIOURS) if key == behaviour]
        return value == Fraction(
            sum(r.answers[i] for r in rows for i in index), len(rows) * len(index)
        )


QUESTION_BEHAVIOURS = [
    str(s) for s, n in zip(range(1, 7), [4, 5, 4, 4, 3, 4], strict=True) for _ in range(n)
]


def send(round_, organisation, answers: tuple[int, ...], comments: tuple[str, ...]) -> None:
    """One person answers through a personal link and sends, as the participant pages do
    (saving the pages, then sending: the tally is kept by the send itself)."""
    sections = list(Section.objects.filter(instrument_id=round_.instrument_id))
    questions = list(Question.objects.filter(instrument_id=round_.instrument_id))
    by_score = {o.score: o for o in Option.objects.filter(instrument_id=round_.instrument_id)}
    invitation, _ = Invitation.issue(round_, organisation)
    response = Response.objects.create(
        round=round_, invitation=invitation, organisation=organisation
    )
    chosen = {q: by_score[a] for q, a in zip(questions, answers, strict=True)}
    # All the answers go in with the first page; each page that has a comment is saved too.
    for index, section in enumerate(sections):
        if index == 0 or comments[index]:
            save_section(response, section, chosen if index == 0 else {}, comments[index])
    submit(response)


def closed_round(client, django_user_model, instrument, organisations) -> tuple:
    """A partnership and an individual round answered by `organisations`, a list of
    (name, sector, [(answers, comments), ...]), closed by its facilitator, who is signed in."""
    from sixways.partnerships.models import Level, Partnership

    serial = next(_serial)
    partnership = Partnership.objects.create(
        name=f"Attacked Partnership {serial}", level=Level.PLACE
    )
    facilitator = make_user(django_user_model, f"facilitator{serial}@example.com", partnership)
    round_ = make_round(partnership, instrument, title=f"Round {serial}")
    truth = Truth({})
    made = []
    for name, sector, people in organisations:
        organisation = add_organisation(partnership, f"{name} {serial}", sector)
        made.append(organisation)
        truth.rows[organisation.name] = [Row(a, c) for a, c in people]
    round_.organisations.set(made)
    for organisation, (_, _, people) in zip(made, organisations, strict=True):
        for answers, comments in people:
            send(round_, organisation, answers, comments)
    client.force_login(facilitator)
    response = client.post(
        reverse("rounds:close", args=[round_.pk]), {"reason": "Everyone has answered"}
    )
    assert response.status_code == 302, response.content[:300]
    round_.refresh_from_db()
    return round_, truth


def read_it_all(pub: Published, truth: Truth) -> None:
    """The attacker must have read the round, or finding nothing proves nothing."""
    people = sum(len(rows) for rows in truth.rows.values())
    assert set(truth.rows) <= set(pub.sector_of) and set(truth.rows) <= set(pub.sent)
    if pub.question_average:  # figures are shown
        assert len(pub.rows) == people
        assert all(pub.question_average[q] for q, _ in pub.questions)
        commented = sum(1 for rows in truth.rows.values() for r in rows for c in r.comments if c)
        assert sum(len(c) for c in pub.comments.values()) == commented


def true_facts(finding: Finding | None, truth: Truth) -> list[Fact]:
    """The attacker's facts that are so. On a service that lays its figures out otherwise
    than the attacker reads them, a 'solved' figure can be wrong, and a wrong one reveals
    nothing."""
    return [f for f in finding.facts if truth.holds(f)] if finding else []


def said(facts: list[Fact]) -> str:
    """The facts in a line each, for a failure message."""
    lines = []
    for fact in facts:
        if fact.kind == "behaviour score":
            behaviour, value = fact.value
            lines.append(f"{fact.organisation}: behaviour {behaviour} scores {value}")
        elif fact.kind == "answers":
            people = sum(fact.value.values())
            lines.append(f"{fact.organisation}: all {people} people's answers and comments")
        else:
            lines.append(f"{fact.organisation}: one person answered {fact.value}")
    return "the attacker worked out\n" + "\n".join(lines)


_comment_numbers = itertools.count(1)


def digits(number: int) -> tuple[int, ...]:
    """A person's 24 answer scores as the base-4 digits of one number, which shrinks fast."""
    return tuple(number // 4**i % 4 for i in range(24))


person = st.tuples(st.integers(0, 4**24 - 1).map(digits), st.booleans())
organisation_strategy = st.tuples(
    st.sampled_from(SECTORS), st.lists(person, min_size=1, max_size=8)
)
rounds_strategy = st.lists(organisation_strategy, min_size=2, max_size=5).filter(
    lambda orgs: any(len(people) < 5 for _, people in orgs)
)


def with_comments(people) -> list:
    """Each person who commented says something about behaviour 1, in words of no one's."""
    return [
        (answers, (f"Remark {next(_comment_numbers)}" if says else "", "", "", "", "", ""))
        for answers, says in people
    ]


# Each example builds a round through the database and the pages, so shrinking a failure
# would take minutes: the explicit example, tried first, is already small.
@settings(
    max_examples=12,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=rounds_strategy, order=st.permutations(NAMES))
@example(
    spec=[
        (Sector.NHS_TRUST, [(digits(n * 40_503_119), n % 2 == 0) for n in range(1, 7)]),
        (Sector.LOCAL_AUTHORITY, [(digits(n * 71_111_117), n == 1) for n in range(1, 6)]),
        (Sector.VCSE, [(digits(9_876_543_210_123), True), (digits(123_456_789), False)]),
        (Sector.OTHER, [(digits(4**24 - 2_718_281_828), True)]),
        (Sector.CARE_PROVIDER, [(digits(n * 3_141_592_653), False) for n in range(1, 4)]),
    ],
    order=NAMES,
)
def test_the_attacker_finds_nothing_a_facilitator_can_download(
    client, django_user_model, instrument, spec, order
):
    organisations = [
        (name, sector, with_comments(people))
        for name, (sector, people) in zip(order, spec, strict=False)
    ]
    round_, truth = closed_round(client, django_user_model, instrument, organisations)
    pub = published(client, round_)
    read_it_all(pub, truth)
    finding = attack(pub)
    found = true_facts(finding, truth)
    assert not found, said(found)


# --- A worked example: seven partners of very uneven sizes ---------------------------------


def _varied(seed: int) -> tuple[int, ...]:
    return tuple((seed * 7 + i * (seed % 5 + 1) + i // 3) % 4 for i in range(24))


def test_seven_uneven_partners_with_a_single_respondent_give_nothing_away(
    client, django_user_model, instrument
):
    """Seven partners of very uneven sizes; three under 5, one of them a single person."""
    sizes = [
        ("Alder", Sector.NHS_TRUST, 12),
        ("Birch", Sector.LOCAL_AUTHORITY, 9),
        ("Cedar", Sector.ICB, 7),
        ("Damson", Sector.CARE_PROVIDER, 6),
        ("Elder", Sector.VCSE, 3),
        ("Hazel", Sector.OTHER, 1),
        ("Larch", Sector.HEALTHWATCH, 2),
    ]
    organisations = []
    seed = 0
    for name, sector, n in sizes:
        people = []
        for _ in range(n):
            seed += 1
            people.append((_varied(seed), seed % 3 == 0))
        organisations.append((name, sector, with_comments(people)))
    # The single person says what they think of every behaviour.
    solo_answers = (3, 2, 1, 0, 0, 1, 2, 3, 3, 1, 1, 0, 2, 2, 3, 0, 1, 3, 2, 0, 1, 2, 3, 1)
    organisations[5] = (
        "Hazel",
        Sector.OTHER,
        [(solo_answers, tuple(f"What I think about behaviour {b}" for b in "123456"))],
    )
    round_, truth = closed_round(client, django_user_model, instrument, organisations)
    pub = published(client, round_)
    solo = next(name for name in truth.rows if name.startswith("Hazel"))
    read_it_all(pub, truth)
    assert pub.question_average and solo not in pub.organisations  # the page hides it...
    finding = attack(pub)
    found = true_facts(finding, truth)
    assert not found, said(found)  # ...and nothing works it out


# --- The attacker itself -----------------------------------------------------------------


BEHAVIOURS = [str(b) for b in range(1, 7)]
QUESTIONS = list(zip([f"q{i}" for i in range(24)], QUESTION_BEHAVIOURS, strict=True))


def _mean(rows, indices) -> Fraction:
    return Fraction(sum(r.answers[i] for r in rows for i in indices), len(rows) * len(indices))


def by_hand(
    groups, shown, sector_of, partnership_mean, comments=None, sent=None, label=""
) -> Published:
    """A publication built by hand: shown organisations' rows named, the rest with `label`,
    and the partnership's figures from `partnership_mean(question indices)`."""

    def reading(indices):
        return [Reading(float(partnership_mean(indices)))]

    return Published(
        k=5,
        behaviours=BEHAVIOURS,
        questions=QUESTIONS,
        sector_of=sector_of,
        sent=sent or {name: len(rows) for name, rows in groups.items()},
        rows=[
            (name if name in shown else label, sector_of[name] if name in shown else "", row)
            for name, rows in groups.items()
            for row in rows
        ],
        organisations={name: Figures(len(groups[name])) for name in shown},
        question_average={q: reading([i]) for i, (q, _) in enumerate(QUESTIONS)},
        behaviour_score={
            b: reading([i for i, (_, qb) in enumerate(QUESTIONS) if qb == b]) for b in BEHAVIOURS
        },
        comments=comments or {},
    )


def _row(answers, comment="") -> Row:
    return Row(tuple(answers), (comment, "", "", "", "", ""))


def test_the_attacker_is_honest(monkeypatch):
    """Given a publication laid out as the leak was (unlabelled rows, each organisation
    counted as one in the partnership score, exact sizes, comments in order of organisation
    name), it recovers the one person's 24 answers and places comments; given only what
    pooled figures say, it claims nothing."""
    big = [_row((i + j) % 4 for i in range(24)) for j in range(5)]
    mid = [_row((i * j) % 4 for i in range(24)) for j in (2, 3)]
    solo = _row(((3 * i + 1) % 4 for i in range(24)), "Only I said this")
    groups = {"Big": big, "Mid": mid, "Solo": [solo]}
    sectors = {"Big": "NHS", "Mid": "Other", "Solo": "Other"}

    def each_equal(indices):
        return sum(_mean(rows, indices) for rows in groups.values()) / 3

    leak = by_hand(groups, {"Big"}, sectors, each_equal)
    finding = attack(leak)
    assert finding is not None and finding.method == "every sharing-out of the unlabelled rows"
    assert Fact("Solo", "answers", Counter({solo: 1})) in finding.facts
    assert Fact("Solo", "row", solo) in finding.facts
    # The equations alone, used where there are too many sharings to try, find it too.
    monkeypatch.setattr(sys.modules[__name__], "EXHAUSTIVE_LIMIT", 0)
    finding = attack(leak)
    assert finding is not None and finding.method == "exact linear equations"
    assert Fact("Solo", "row", solo) in finding.facts
    monkeypatch.undo()

    # Pooled: the hidden organisations count as two at their respondents' mean. Nothing.
    pool = [*mid, solo]
    assert (
        attack(
            by_hand(groups, {"Big"}, sectors, lambda i: (_mean(big, i) + 2 * _mean(pool, i)) / 3)
        )
        is None
    )
    # Each counted as one but every unlabelled row the same: the rows say it all already.
    same = {"Big": big, "Mid": [mid[0]] * 2, "Solo": [mid[0]]}
    homogeneous = by_hand(
        same, {"Big"}, sectors, lambda i: sum(_mean(r, i) for r in same.values()) / 3
    )
    assert attack(homogeneous) is None

    # Comments in order of organisation name place unnamed ones between the named. Two hidden
    # organisations of the same size, so the partnership score says nothing about them.
    alpha = [_row([i % 4] * 24, "Alpha here") for i in range(7)]
    omega = [_row([(i + 1) % 4] * 24, "Omega here") for i in range(7)]
    beta = [_row([1] * 24, "Between the named"), _row([2] * 24)]
    zulu = [_row([3] * 24, "After them all"), _row([0] * 24)]
    groups = {"Alpha": alpha, "Beta": beta, "Omega": omega, "Zulu": zulu}
    sectors = dict.fromkeys(groups, "Other")
    listed = [
        *[("Alpha here", "Alpha")] * 7,
        ("Between the named", None),
        *[("Omega here", "Omega")] * 7,
        ("After them all", None),
    ]
    by_name = by_hand(
        groups,
        {"Alpha", "Omega"},
        sectors,
        lambda i: sum(_mean(r, i) for r in groups.values()) / 4,
        comments={"1": listed},
    )
    finding = attack(by_name)
    assert finding is not None
    assert Fact("Beta", "row", beta[0]) in finding.facts
    assert Fact("Zulu", "row", zulu[0]) in finding.facts
    # In an order that says nothing, they are no one's.
    shuffled = [listed[-1], *listed[8:-1], listed[7], *listed[:7]]
    by_name.comments = {"1": shuffled}
    assert attack(by_name) is None


@settings(max_examples=80, deadline=None)
@given(
    spec=st.lists(
        st.lists(
            st.tuples(st.integers(0, 4**24 - 1).map(digits), st.booleans()), min_size=1, max_size=8
        ),
        min_size=2,
        max_size=5,
    ),
)
def test_the_attacker_claims_nothing_from_pooled_figures(spec):
    """Built by hand as pooling publishes: organisations under 5 (and, while the pool is
    under 5, the smallest shown one) counted together at their respondents' mean, their rows
    "Other organisations", their sizes "fewer than 5", comments in an order that says nothing.
    An honest attacker finds nothing there, whatever the answers."""
    k = 5
    names = NAMES[: len(spec)]
    serial = itertools.count(1)
    groups = {
        name: [_row(answers, f"Remark {next(serial)}" if says else "") for answers, says in people]
        for name, people in zip(names, spec, strict=False)
    }
    pooled = [n for n in names if len(groups[n]) < k]
    shown = sorted((n for n in names if n not in pooled), key=lambda n: (len(groups[n]), n))
    assume(pooled and sum(len(r) for r in groups.values()) >= k)
    while sum(len(groups[n]) for n in pooled) < k and shown:
        pooled.append(shown.pop(0))
    pool = [row for n in pooled for row in groups[n]]

    def partnership(indices):
        shown_part = sum((_mean(groups[n], indices) for n in shown), Fraction(0))
        return (shown_part + len(pooled) * _mean(pool, indices)) / (len(shown) + len(pooled))

    listed = [
        (row.comments[0], name if name in shown else None)
        for name, rows in groups.items()
        for row in rows
        if row.comments[0]
    ]
    listed.sort(key=lambda c: hashlib.sha256(c[0].encode()).hexdigest())
    pub = by_hand(
        groups,
        set(shown),
        dict.fromkeys(names, "Other"),
        partnership,
        comments={"1": listed},
        sent={n: len(r) if len(r) >= k else None for n, r in groups.items()},
        label="Other organisations",
    )
    assert attack(pub) is None, said(attack(pub).facts)


def test_the_attacker_wins_when_pooling_is_switched_off(
    client, django_user_model, instrument, monkeypatch
):
    """Keep the attacker honest against the service itself: give each small organisation its
    own weight in the partnership's score again, as before pooling, and show exact counts, and
    the single person's answers come back out of the same downloads."""
    from sixways.results import privacy, scoring

    def separately(self, means, pool_mean):
        return [(m, 1) for m in means.values()]

    monkeypatch.setattr(scoring.RoundFigures, "units", separately)
    monkeypatch.setattr(privacy, "shown_count", lambda n, k: n)
    sizes = [("Alder", Sector.NHS_TRUST, 12), ("Birch", Sector.LOCAL_AUTHORITY, 9)]
    organisations = []
    seed = 0
    for name, sector, n in sizes:
        people = []
        for _ in range(n):
            seed += 1
            people.append((_varied(seed), seed % 3 == 0))
        organisations.append((name, sector, with_comments(people)))
    solo_answers = (3, 2, 1, 0, 0, 1, 2, 3, 3, 1, 1, 0, 2, 2, 3, 0, 1, 3, 2, 0, 1, 2, 3, 1)
    organisations.append(("Hazel", Sector.OTHER, [(solo_answers, ("Mine",) * 6)]))
    organisations.append(
        ("Larch", Sector.HEALTHWATCH, with_comments([(_varied(90), False), (_varied(91), True)]))
    )
    round_, truth = closed_round(client, django_user_model, instrument, organisations)
    pub = published(client, round_)
    found = true_facts(attack(pub), truth)
    assert any(fact.organisation.startswith("Hazel") for fact in found), said(found)
