"""`python -m tests.nlu.libraries`: what each candidate library gets right on the development set.

The offline model's choices were measured here, on the same first messages as `python -m tests.nlu`
(manage cases left out), before any was adopted (`pip install -e '.[bench]'` brings the ones the
model does not use):

* dates: dateparser's `search_dates` and ctparse, each reading the whole message (the first day
  it finds, against the file's clock), against the model's own date rules;
* typos: the model with no spelling correction, with rapidfuzz (Damerau-Levenshtein against the
  same clinic vocabulary) and with symspellpy (what it uses), on the typo cases and on all;
* spelled-out numbers: none, number-parser and text2num (what it uses), on the spelled_numbers
  cases and on all.

Each line gives the share right and the time per message (or per corrected word).
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from agent.offline import lexicon, nlu
from core.english import english_words
from tests.nlu.grade import Case, grade_all, load_cases


def _share(cases: list[Case], category: str | None = None) -> str:
    chosen = [c for c in cases if category is None or category in c.categories]
    grades = grade_all(chosen)
    right = sum(g.full for g in grades)
    return f"{right}/{len(chosen)} = {right / len(chosen):6.1%}"


@contextmanager
def _swapped(name: str, replacement: Callable[..., Any]) -> Iterator[None]:
    """Run the model with one lexicon function replaced (parse caches cleared on both sides)."""
    original = getattr(lexicon, name)
    setattr(lexicon, name, replacement)
    nlu._parse.cache_clear()
    try:
        yield
    finally:
        setattr(lexicon, name, original)
        nlu._parse.cache_clear()


def dates(cases: list[Case]) -> None:
    checks = [c for c in cases if c.expect.get("tool") == "check_availability"]
    print(f"dates: the day of the first check, {len(checks)} messages")
    readers: dict[str, Callable[[Case], str | None]] = {}
    try:
        from dateparser.search import search_dates

        def with_dateparser(case: Case) -> str | None:
            found = search_dates(
                case.message,
                languages=["en"],
                settings={"RELATIVE_BASE": case.now, "PREFER_DATES_FROM": "future"},
            )
            return found[0][1].date().isoformat() if found else None

        readers["dateparser.search_dates"] = with_dateparser
    except ImportError:
        print("  dateparser: not installed (pip install -e '.[bench]')")
    try:
        import ctparse

        def with_ctparse(case: Case) -> str | None:
            parsed = ctparse.ctparse(case.message, ts=case.now, timeout=1)
            value = getattr(parsed, "resolution", None)
            start = getattr(value, "start", None) or value
            year, month, day = (getattr(start, k, None) for k in ("year", "month", "day"))
            return f"{year:04d}-{month:02d}-{day:02d}" if year and month and day else None

        readers["ctparse"] = with_ctparse
    except ImportError:
        print("  ctparse: not installed (pip install -e '.[bench]')")
    for name, reader in readers.items():
        start, right = time.perf_counter(), 0
        for case in checks:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    right += reader(case) == case.expect["args"]["date"]
                except Exception:  # a library that fails on a message got it wrong
                    pass
        ms = (time.perf_counter() - start) / len(checks) * 1000
        print(f"  {name:<28} {right}/{len(checks)} = {right / len(checks):6.1%}   {ms:5.2f} ms/message")
    grades = grade_all(checks)
    right = sum(g.parts["date"] for g in grades)
    print(f"  {'offline model (dates.py)':<28} {right}/{len(checks)} = {right / len(checks):6.1%}")


def typos(cases: list[Case]) -> None:
    print("typos: fully right, typo cases | all cases")
    variants: dict[str, Callable[[str], str]] = {"no correction": lambda word: word}
    try:
        from rapidfuzz import process
        from rapidfuzz.distance import DamerauLevenshtein

        def with_rapidfuzz(word: str) -> str:
            if len(word) < 4 or word in english_words() or not word.isalpha():
                return word
            found = process.extractOne(
                word, lexicon.VOCABULARY, scorer=DamerauLevenshtein.distance, score_cutoff=1 if len(word) <= 6 else 2
            )
            return word if found is None or word.startswith(found[0]) else str(found[0])

        variants["rapidfuzz"] = with_rapidfuzz
    except ImportError:
        print("  rapidfuzz: not installed (pip install -e '.[bench]')")
    variants["symspellpy (used)"] = lexicon.correct.__wrapped__
    for name, correct in variants.items():
        timed = _per_call(correct, ["tommorow", "wensday", "chekup", "specilist", "afternon", "consultaion"])
        with _swapped("correct", correct):
            print(f"  {name:<28} {_share(cases, 'typo')} | {_share(cases)}   {timed:6.1f} us/misspelt word")


def numbers(cases: list[Case]) -> None:
    print("spelled-out numbers: fully right, spelled_numbers cases | all cases")
    variants: dict[str, Callable[..., str]] = {"none": lambda text, lang: text}
    try:
        from number_parser import parse as number_parser

        variants["number-parser"] = lambda text, lang: str(number_parser(text))
    except ImportError:
        print("  number-parser: not installed (pip install -e '.[bench]')")
    from text_to_num import alpha2digit

    variants["text2num (used)"] = alpha2digit
    sample = ["the twenty-first of december at half past two"]
    for name, convert in variants.items():
        timed = _per_call(functools.partial(convert, lang="en"), sample)
        with _swapped("alpha2digit", convert):
            print(f"  {name:<28} {_share(cases, 'spelled_numbers')} | {_share(cases)}   {timed:6.1f} us/message")


def _per_call(fn: Callable[[str], Any], samples: list[str], rounds: int = 200) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for sample in samples:
            fn(sample)
    return (time.perf_counter() - start) / (rounds * len(samples)) * 1e6


def main() -> None:
    cases = [c for c in load_cases() if not c.separate]
    dates(cases)
    typos(cases)
    numbers(cases)


if __name__ == "__main__":
    main()
