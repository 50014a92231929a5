"""The offline reader's substring prefilters skip a pattern only when it cannot match.

Each prefilter (`nlu.PREFILTERS`, and the weekday, best-day and clinic-topic ones below) is a
tuple of cues checked with `in` before its pattern runs. This proves, from the pattern's own parse
tree, that every match contains one of the cues (every alternative, every repeat that must run at
least once), so a prefilter can never hide a match: a new alternative without a cue fails here
instead of changing what is read.
"""

from __future__ import annotations

import re
from re import _constants as sre
from re import _parser
from typing import Any

import pytest

from agent.offline import clinic, dates, nlu, times

DIGIT = nlu.DIGIT_CUE  # the cue "some digit": checked with a digit search, not `in`

_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def _covered(items: Any, cues: tuple[str, ...]) -> bool:
    """Whether every match of this sequence of parsed items contains one of `cues`."""
    run = ""  # adjacent literals: they match as one string
    for op, av in list(items) + [(None, None)]:
        if op is sre.LITERAL:
            run += chr(av)
            continue
        if run and any(cue in run for cue in cues):
            return True
        run = ""
        if op is sre.SUBPATTERN:
            _group, add_flags, _del_flags, sub = av
            if not add_flags & re.IGNORECASE and _covered(sub, cues):
                return True
        elif op is sre.BRANCH:
            if all(_covered(branch, cues) for branch in av[1]):
                return True
        elif op in _REPEATS:
            low, _high, sub = av
            if low >= 1 and _covered(sub, cues):
                return True
        elif op is sre.IN:
            if all(_member_covered(member, cues) for member in av):
                return True
    return False


def _member_covered(member: tuple[Any, Any], cues: tuple[str, ...]) -> bool:
    """Whether every character of one member of a character class is a cue."""
    op, av = member
    if op is sre.LITERAL:
        return chr(av) in cues
    if op is sre.CATEGORY:
        return av is sre.CATEGORY_DIGIT and DIGIT in cues
    if op is sre.RANGE:
        return (av[0], av[1]) == (ord("0"), ord("9")) and DIGIT in cues
    return False


def covered(pattern: re.Pattern[str], cues: tuple[str, ...]) -> bool:
    """Whether every match of `pattern` contains one of `cues` (case-sensitive patterns only)."""
    return not pattern.flags & re.IGNORECASE and _covered(_parser.parse(pattern.pattern, pattern.flags), cues)


PREFILTERS = {
    **nlu.PREFILTERS,
    "weekday named": (dates._WEEKDAY_HIT, (dates.WEEKDAY_CUE,)),
    "best after a day": (dates._BEST_AFTER, dates.BEST_CUES),
    "clinic topic": (clinic._TOPICS, clinic.TOPIC_CUES),
    **{f"clinic topic unnamed {i}": (pattern, cues) for i, (cues, pattern, _) in enumerate(clinic._UNNAMED_TOPICS)},
    "past visit's clock": (times._PAST_CLOCK, times.PAST_CLOCK_CUES),
}


@pytest.mark.parametrize("name", sorted(PREFILTERS))
def test_every_match_contains_a_cue(name: str) -> None:
    pattern, cues = PREFILTERS[name]
    assert covered(pattern, cues), f"{name}: a match need not contain any of {cues}"


def test_the_checker_catches_a_missing_cue() -> None:
    assert covered(re.compile(r"\b(?:see\s+you|bye)\b"), ("see", "bye"))
    assert not covered(re.compile(r"\b(?:see\s+you|bye|cya)\b"), ("see", "bye"))
    assert not covered(re.compile(r"\b(?:bye)?\b"), ("bye",))  # optional: need not match
    assert covered(re.compile(r"option\s*(\d)"), (DIGIT,))
    assert not covered(re.compile(r"(?i)bye"), ("bye",))
