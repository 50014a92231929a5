"""Which of the reader's cue strings a text contains, all found in one pass.

Most of the reader's patterns match in few messages, so each runs only where one of its cues is:
a string every match of the pattern contains (a prefilter). Asked as `cue in text` cue by cue,
that is some forty Python-level scans of the same message; here an Aho-Corasick automaton
(pyahocorasick) over every cue finds them all in one pass in C, and each prefilter is then a set
test. `required` derives a pattern's cues from its own parse tree, so a prefilter cannot hide a
match (tests/agent/test_offline_prefilters.py checks every cue set against its pattern).
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterator
from re import _constants as sre
from re import _parser
from typing import Any

import ahocorasick

DIGIT = "<digit>"  # the cue "some digit"
_DIGITS = "0123456789"
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


class Cues(frozenset[str]):
    """A prefilter's cues; made by `cues` or `required` only, which add them to the automaton."""


_known: set[str] = set()


def cues(*words: str) -> Cues:
    """The cue set of a prefilter (DIGIT stands for any digit)."""
    made = Cues(words)
    if not made <= _known:
        _known.update(made)
        _automaton.cache_clear()
        found.cache_clear()
    return made


@functools.cache
def _automaton() -> Any:
    automaton = ahocorasick.Automaton()
    for word in _known:
        if word != DIGIT:
            automaton.add_word(word, word)
    for digit in _DIGITS:
        automaton.add_word(digit, DIGIT)
    automaton.make_automaton()
    return automaton


@functools.lru_cache(maxsize=4096)
def found(text: str) -> frozenset[str]:
    """Every known cue in `text`; cached, as the readers ask it of the same texts in turn."""
    return frozenset(word for _end, word in _automaton().iter(text)) if text else frozenset()


def cued(text: str, wanted: Cues) -> bool:
    """Whether one of `wanted` is in `text`."""
    return not wanted.isdisjoint(found(text))


class Gated:
    """A compiled pattern that runs only where one of the cues its parse tree requires is (for a
    pattern that matches in few messages; one without such cues always runs)."""

    __slots__ = ("pattern", "cues")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.cues = required(pattern)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        wanted = self.cues
        if wanted is not None and wanted.isdisjoint(found(text)):
            return None
        return self.pattern.search(text, pos, endpos)

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        wanted = self.cues
        if wanted is not None and wanted.isdisjoint(found(text)):
            return iter(())
        return self.pattern.finditer(text, pos, endpos)


class AnyOf:
    """Whether a long alternation matches, asked of each alternative apart, each gated by its own
    cues: a message then runs the few alternatives whose words it has, not the whole program
    (one flag's pattern is 30 KB; inside a turn its reading is mostly cache misses). Only for
    patterns read as yes or no: which alternative matched, and where, is not kept.

    The alternatives are indexed by cue, so a message looks up the cues it has instead of asking
    every alternative in turn; those without cues always run."""

    __slots__ = ("parts", "_always", "_by_cue")

    def __init__(self, pattern: str) -> None:
        self.parts = tuple(Gated(re.compile(part)) for part in alternatives(pattern))
        self._always = tuple(part.pattern for part in self.parts if part.cues is None)
        by_cue: dict[str, list[int]] = {}
        for index, part in enumerate(self.parts):
            for cue in part.cues or ():
                by_cue.setdefault(cue, []).append(index)
        self._by_cue = {cue: tuple(indexes) for cue, indexes in by_cue.items()}

    def search(self, text: str) -> bool:
        if any(pattern.search(text) is not None for pattern in self._always):
            return True
        by_cue = self._by_cue
        wanted = {index for cue in found(text) if cue in by_cue for index in by_cue[cue]}
        parts = self.parts
        return any(parts[index].pattern.search(text) is not None for index in sorted(wanted))


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of `pattern`, each a pattern of its own that matches where the
    whole matches through it: "\\b(?:a|b)\\b" gives "\\b(?:a)\\b" and "\\b(?:b)\\b" (zero-width
    ends only; anything else around a group keeps the pattern whole)."""
    parts = _split(pattern)
    if len(parts) > 1:
        return [p for part in parts for p in alternatives(part)]
    m = re.fullmatch(r"((?:\\b|\(\?<?[=!][^()]*\))*)\(\?:(.*)\)((?:\\b|\(\?<?[=!][^()]*\))*)", pattern, re.S)
    if m and _balanced(m[2]) and len(inner := _split(m[2])) > 1:
        return [p for part in inner for p in alternatives(f"{m[1]}(?:{part}){m[3]}")]
    return [pattern]


def _scan(pattern: str) -> Iterator[tuple[str, int, bool]]:
    """Each character of `pattern` with the group depth after it, and whether it is syntax (not
    escaped, not inside a character class)."""
    depth, in_class, escaped = 0, False, False
    for ch in pattern:
        syntax = not escaped and not in_class
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        yield ch, depth, syntax


def _split(pattern: str) -> list[str]:
    """`pattern` cut at each `|` outside groups and character classes."""
    parts, current = [], ""
    for ch, depth, syntax in _scan(pattern):
        if ch == "|" and syntax and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


def _balanced(pattern: str) -> bool:
    depths = [depth for _ch, depth, _syntax in _scan(pattern)]
    return min(depths, default=0) >= 0 and (depths[-1] if depths else 0) == 0


# --- cues from a pattern's parse tree ------------------------------------------------------------


def required(pattern: re.Pattern[str]) -> Cues | None:
    """Strings one of which every match of `pattern` contains, or None where the pattern has none
    worth testing (a case-insensitive pattern, or a match that may be made of anything)."""
    if pattern.flags & re.IGNORECASE:
        return None
    found_in = _of_sequence(list(_parser.parse(pattern.pattern, pattern.flags)))
    return cues(*found_in) if found_in else None


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """Of two cue sets for the same match, the more selective: longer shortest cue, then fewer."""
    if a is None or b is None:
        return a if b is None else b

    def rank(s: frozenset[str]) -> tuple[int, int]:
        return (min(3 if w == DIGIT else len(w) for w in s), -len(s))

    return a if rank(a) >= rank(b) else b


def _of_sequence(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    best: frozenset[str] | None = None
    run = ""  # adjacent literals match as one string
    for op, av in items + [(None, None)]:
        if op is sre.LITERAL:
            run += chr(av)
            continue
        if len(run) >= 2:
            best = _better(best, frozenset({run}))
        run = ""
        best = _better(best, _of_item(op, av))
    return best


def _of_item(op: Any, av: Any) -> frozenset[str] | None:
    if op is sre.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return None if add_flags & re.IGNORECASE else _of_sequence(list(sub))
    if op is sre.BRANCH:
        sets = [_of_sequence(list(branch)) for branch in av[1]]
        return None if any(s is None for s in sets) else frozenset().union(*sets)  # type: ignore[arg-type]
    if op in _REPEATS:
        low, _high, sub = av
        return _of_sequence(list(sub)) if low >= 1 else None
    if op is sre.ASSERT:  # a lookaround that must match: its text is there too
        _direction, sub = av
        return _of_sequence(list(sub))
    if op is sre.IN and all(_is_digit(member) for member in av):
        return frozenset({DIGIT})
    if op is sre.CATEGORY and av is sre.CATEGORY_DIGIT:
        return frozenset({DIGIT})
    return None


def _is_digit(member: tuple[Any, Any]) -> bool:
    op, av = member
    if op is sre.CATEGORY:
        return av is sre.CATEGORY_DIGIT
    if op is sre.RANGE:
        return bool(ord("0") <= av[0] and av[1] <= ord("9"))
    return op is sre.LITERAL and chr(av) in _DIGITS
