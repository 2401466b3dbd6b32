"""The benchmark's rules about who is compared with whom, and when a snapshot may be shown.
Pure Python, no Django: benchmark.py applies them, tests/test_benchmark.py tries them with
hypothesis.

- Like for like: partnerships are compared with others of the same level that answered the
  same version of the questions. A level with fewer than the minimum of contributors is not
  shown on its own: its partnerships are compared with the wider cohort of every level that
  answered that version, shown only if it reaches the minimum in turn.
- A new snapshot of a cohort whose contributors differ from those of the last one shown by a
  single partnership is not shown while the cohort is under twice the minimum: comparing the
  two would say a great deal about that one partnership's scores.
"""

from collections.abc import Hashable, Mapping

EVERY_LEVEL = ""  # the wider cohort's level


def cohorts(levels: Mapping[Hashable, str], minimum: int) -> dict[str, set]:
    """The cohorts that may be shown, from each contributor's level: {level: contributors},
    with EVERY_LEVEL holding every contributor when any level falls short (or for the few
    contributors of a level too small on its own). A cohort under the minimum is left out."""
    by_level: dict[str, set] = {}
    for contributor, level in levels.items():
        by_level.setdefault(level, set()).add(contributor)
    shown = {level: members for level, members in by_level.items() if len(members) >= minimum}
    folded = len(shown) < len(by_level)
    if folded and len(levels) >= minimum:
        shown[EVERY_LEVEL] = set(levels)
    return shown


def cohort_for(level: str, shown: Mapping[str, set]) -> str | None:
    """Which cohort a partnership of this level is compared with: its own level's if shown,
    else the wider one, else none."""
    if level in shown:
        return level
    return EVERY_LEVEL if EVERY_LEVEL in shown else None


def withheld_because(contributors: set, last_shown: set | None, minimum: int) -> str:
    """Why a new snapshot of a cohort must not be shown ("" when it may be)."""
    if len(contributors) < minimum:
        return f"fewer than {minimum} partnerships"
    if (
        last_shown is not None
        and len(contributors ^ last_shown) == 1
        and len(contributors) < 2 * minimum
    ):
        return "differs from the last one shown by a single partnership"
    return ""


def position(value, lower, median, upper) -> str:
    """Where a score sits among the cohort's, in words: by quarter, never a rank."""
    if value < lower:
        return "Below the lower quartile: in the lowest quarter"
    if value < median:
        return "Between the lower quartile and the median"
    if value == median:
        return "At the median"
    if value <= upper:
        return "Between the median and the upper quartile"
    return "Above the upper quartile: in the highest quarter"
