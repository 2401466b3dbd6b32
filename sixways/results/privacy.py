"""What a round may show when people answer for themselves (individual mode).

This module is the one place the privacy rule is decided (docs/adr/0008-pooling-small-groups.md
says why, and the help page, templates/pages/help.jinja, says it for people); every page and download reads a
RoundResults built from its decision, so they all show the same groups. It has no Django imports.

The rule, in individual mode, with K the smallest group shown (MIN_GROUP_SIZE, default 5):

1. An organisation shows its own figures only when at least K of its responses count towards
   the group size. Only responses through a personal link count: anyone holding a shareable
   link, the facilitator included, could answer through it several times and lift a small
   organisation over K with answers they know (a "padding" attack). Responses through shareable
   links still count in every figure. Paper returns count as personal links do: each is
   entered by a named facilitator and recorded (docs/adr/0014).
2. Every other organisation is *pooled*: its responses are shown together, as "Other
   organisations", in every figure — scores, answer splits, per-person rows, comments. The
   partnership's score, in which each organisation counts equally, counts the pool as as many
   organisations as it holds, each scored by the pool's mean, so no pooled organisation has a
   weight of its own that could tie rows or figures to it.
3. If the pool itself has fewer than K counted responses, the shown organisation with the
   fewest joins it, until it has K. If that leaves nothing outside the pool and it still has
   fewer than K, the round shows no figures (a round with fewer than K responses never does).
4. A sector is shown only when none of its organisations is pooled: a sector figure holding a
   pooled organisation, taken from the pool's, would single it out.
5. Counts: a group's size between 1 and K - 1 is shown as "fewer than K" (shown_count).
6. An open round shows no figures: every view of it would change by exactly one person's
   answers at each send, so two views a minute apart would give that person's answers. Figures
   appear when the round closes (publishes_figures).

7. A round where people answer for themselves and a workshop showed its room a question's
   spread before the round closed (docs/adr/0013): the round's figures for that question,
   less the spread, would be the answers of whoever answered outside the room (and the room's
   votes less the round's, those of whoever voted but did not send). So the round shows no
   figures unless, on every question shown in the room, both the people who answered outside
   it (or changed the answer they gave in it) and those in the room whose votes are not in the
   round's answers are none or at least K (room_question()).

Everything published is then a sum over whole groups — shown organisations and the pool — each
of at least K people, so no published figure separates the members of the pool, and none
separates one person from a group. tests/test_privacy_attack.py tries to prove otherwise.
"""

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

SMALL = "small"  # fewer than K responses that count
MERGED = "merged"  # large enough, pooled so that the pool reaches K
POOLED = "pooled"  # a sector holding pooled organisations
POOL = "pool"  # the pool's key among the organisation results
POOL_NAME = "Other organisations"  # what pages and files call the pool


@dataclass(frozen=True)
class Group:
    respondents: int  # every sent response: all of them count in the figures
    sector: Hashable | None  # None: no sector (for example no organisation given)
    name: str = ""  # only to break ties the same way every time
    counted: int | None = None  # responses that count towards the group size; None: all

    @property
    def size(self) -> int:
        return self.respondents if self.counted is None else self.counted


@dataclass
class Visibility:
    pooled: dict[Hashable, str] = field(default_factory=dict)  # organisation -> SMALL or MERGED
    hidden_sectors: dict[Hashable, str] = field(default_factory=dict)  # sector -> POOLED
    withheld: bool = False
    room_question: Hashable | None = None  # rule 7: the question that withholds the round

    def organisation_shown(self, key: Hashable) -> bool:
        return not self.withheld and key not in self.pooled

    def sector_shown(self, key: Hashable | None) -> bool:
        return not self.withheld and key is not None and key not in self.hidden_sectors

    @property
    def has_pool(self) -> bool:
        return bool(self.pooled) and not self.withheld


def everything_shown() -> Visibility:
    """Organisational and collective responses speak for an organisation: nothing is hidden."""
    return Visibility()


def plan(groups: Mapping[Hashable, Group], k: int) -> Visibility:
    """Decide which organisations an individual-mode round pools and which sectors it hides."""
    visibility = Visibility(pooled={o: SMALL for o, g in groups.items() if g.size < k})
    pooled = visibility.pooled

    def pool_size() -> int:
        return sum(groups[o].size for o in pooled)

    while pooled and pool_size() < k:
        outside = sorted(
            (o for o in groups if o not in pooled),
            key=lambda o: (groups[o].size, groups[o].name, str(o)),
        )
        if not outside:
            visibility.withheld = True
            return visibility
        pooled[outside[0]] = MERGED

    sectors: dict[Hashable, list[Hashable]] = {}
    for key, group in groups.items():
        if group.sector is not None:
            sectors.setdefault(group.sector, []).append(key)
    # A sector of shown organisations has at least K people, as each of them has.
    for sector, members in sectors.items():
        if any(o in pooled for o in members):
            visibility.hidden_sectors[sector] = POOLED
    return visibility


@dataclass(frozen=True)
class Room:
    """A question whose spread a workshop showed its room, against the round's answers."""

    shown: int  # the votes the room saw counted
    matched: int  # of those, votes whose holder sent the same answer in their own response
    sent: int  # the round's sent answers to the question


def room_question(rooms: Mapping[Hashable, Room], k: int) -> Hashable | None:
    """The first question (rule 7) whose figures, less the room's spread, would give the
    answers of between 1 and K - 1 people, or None when there is none."""
    for question, room in rooms.items():
        outside, unsent = room.sent - room.matched, room.shown - room.matched
        # Each must be none or a group of at least K. (Below none, one person counted twice
        # by two workshops, cannot be reasoned about: withheld too.)
        if not (outside == 0 or outside >= k) or not (unsent == 0 or unsent >= k):
            return question
    return None


def shown_count(n: int, k: int) -> int | None:
    """A group's size as it may be shown: None means "fewer than K" (0 is shown, so that a
    facilitator can see which organisations have not answered at all)."""
    return n if n == 0 or n >= k else None


def publishes_figures(individual: bool, closed: bool) -> bool:
    """Whether a round's figures may be shown at all yet (rule 6)."""
    return closed or not individual


def hidden_reason(reason: str | None, k: int) -> str:
    """Why an organisation is pooled or a sector not shown, in words for a page or a file."""
    return {
        SMALL: f"Counted with the other organisations: fewer than {k} people answered through "
        "their own link",
        MERGED: f"Counted with the other organisations, so that together they reach {k} people",
        POOLED: "Not shown on its own: some of its organisations are counted with the other "
        "organisations",
    }.get(reason, "Not shown")
