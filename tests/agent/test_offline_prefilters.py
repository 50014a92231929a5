"""The offline reader's substring prefilters skip a pattern only when it cannot match.

Each prefilter (`nlu.PREFILTERS`, the ones below, and every `Gated` pattern, whose cues
`cues.required` derives) is a set of cues, one of which must be in the text before its pattern
runs. This proves, from the pattern's own parse tree, that every match contains one of the cues
(every alternative, every repeat that must run at least once), so a prefilter can never hide a
match: a new alternative without a cue fails here instead of changing what is read. And the one
pass that finds the cues (`cues.found`) finds what `in` would, cue by cue.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from re import _constants as sre
from re import _parser
from typing import Any

import pytest
import yaml

from agent.offline import clinic, cues, dates, lexicon, nlu, times

DIGIT = nlu.DIGIT_CUE  # the cue "some digit": checked with a digit search, not `in`

_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def _covered(items: Any, cues: Collection[str]) -> bool:
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


def _member_covered(member: tuple[Any, Any], cues: Collection[str]) -> bool:
    """Whether every character of one member of a character class is a cue."""
    op, av = member
    if op is sre.LITERAL:
        return chr(av) in cues
    if op is sre.CATEGORY:
        return av is sre.CATEGORY_DIGIT and DIGIT in cues
    if op is sre.RANGE:
        return (av[0], av[1]) == (ord("0"), ord("9")) and DIGIT in cues
    return False


def covered(pattern: re.Pattern[str], cues: Collection[str]) -> bool:
    """Whether every match of `pattern` contains one of `cues` (case-sensitive patterns only)."""
    return not pattern.flags & re.IGNORECASE and _covered(_parser.parse(pattern.pattern, pattern.flags), cues)


PREFILTERS = {
    **nlu.PREFILTERS,
    "weekday named": (dates._WEEKDAY_HIT, (dates.WEEKDAY_CUE,)),
    "best after a day": (dates._BEST_AFTER, dates.BEST_CUES),
    "clinic topic": (clinic._TOPICS, clinic.TOPIC_CUES),
    **{f"clinic topic unnamed {i}": (pattern, cues) for i, (cues, pattern, _) in enumerate(clinic._UNNAMED_TOPICS)},
    "past visit's clock": (times._PAST_CLOCK, times.PAST_CLOCK_CUES),
    "a bare am after a day": (lexicon._DAY_AM, lexicon.DAY_AM_CUES),
    "month named": (dates._MONTH_HIT, dates.MONTH_CUES),
    **{f"weekday rule {i}": (p, words) for i, (p, _rule, words) in enumerate(dates._WEEKDAY_RULES) if words},
    **{f"unnamed topic {q}": (p, c) for c, p, q in clinic._UNNAMED_TOPICS},
    **{
        f"gated {module.__name__}.{name}": (value.pattern, value.cues)
        for module in (clinic, dates, lexicon, nlu, times)
        for name, value in vars(module).items()
        if isinstance(value, cues.Gated) and value.cues is not None
    },
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


def test_the_gated_patterns_are_found() -> None:
    gated = [name for name in PREFILTERS if name.startswith("gated ")]
    assert "gated agent.offline.times._TIMEISH" in gated and len(gated) >= 7


def _messages() -> list[str]:
    here = Path(__file__).resolve().parent.parent / "nlu"
    out = []
    for path in sorted(here.glob("first_messages_*.yaml")):
        out += [lexicon.normalize(case["message"]) for case in yaml.safe_load(path.read_text())["cases"]]
    return out


def test_one_pass_finds_what_in_finds() -> None:
    sets = {c for _p, c in PREFILTERS.values() if isinstance(c, cues.Cues)}
    sets |= {dates._DAYISH, dates._NAMED, dates._RELATIVE_HINT, nlu._ORDINAL_CUES, nlu._UNWANTED_CUES}
    checked = 0
    for text in _messages() + ["", "9", "no digits here", "the 3rd, after 2pm"]:
        for wanted in sets:
            by_in = any(any(ch.isdigit() for ch in text) if cue == cues.DIGIT else cue in text for cue in wanted)
            assert cues.cued(text, wanted) == by_in, (text, sorted(wanted))
            checked += 1
    assert checked > 10_000


def test_a_pattern_without_cues_is_never_gated() -> None:
    assert cues.required(re.compile(r"\b\w+\b")) is None  # any word: nothing to look for
    assert cues.required(re.compile(r"(?i)bye")) is None  # case-insensitive: the cues would be too
    assert cues.required(re.compile(r"see\s+you|bye")) == {"see", "bye"}
    assert cues.required(re.compile(r"option\s*(\d)")) == {"option"}  # the longer cue is the more selective
    always = cues.Gated(re.compile(r"\b\w+\b"))
    assert always.search("anything") is not None


SPLIT = {flag: check for flag, check, _cues in nlu._FLAG_CHECKS if isinstance(check, cues.AnyOf)}


@pytest.mark.parametrize("flag", sorted(SPLIT))
def test_a_split_flag_reads_what_its_whole_pattern_reads(flag: str) -> None:
    whole = re.compile(nlu._FLAGS[flag])
    for part in SPLIT[flag].parts:
        if part.cues is not None:
            assert covered(part.pattern, part.cues), f"{flag}: {part.pattern.pattern}"
    texts = _messages() + [lexicon.normalize(t) for t in ("cancel it", "oops typo", "i have an appointment on friday")]
    assert [SPLIT[flag].search(t) for t in texts] == [whole.search(t) is not None for t in texts]
    assert any(whole.search(t) for t in texts)  # the comparison sees matches, not only misses


def test_alternatives_split_only_where_the_whole_is_their_union() -> None:
    assert cues.alternatives(r"\b(?:a|b(?:c|d))\b") == [r"\b(?:a)\b", r"\b(?:b(?:c|d))\b"]
    assert cues.alternatives(r"x|(?=y)(?:y1|y2)") == ["x", "(?=y)(?:y1)", "(?=y)(?:y2)"]
    assert cues.alternatives(r"(?:a|b)c") == [r"(?:a|b)c"]  # a literal after the group: kept whole
    assert cues.alternatives(r"[|(]|a") == ["[|(]", "a"]  # a class's | and ( are literals
