"""`python -m tests.nlu [-v] [--category NAME]`: the offline model's accuracy on the development set.

Prints, per category of message, the share of first steps with the right date, type, time window
and all three (full); `-v` lists every wrong case with what was expected and what the model did.
Exit code 1 when a target is missed (>= 97% fully right overall, no category below 90%).
"""

from __future__ import annotations

import argparse
import sys

from tests.nlu.grade import by_category, describe, format_table, grade_all, load_cases, shortfalls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.nlu", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="list the wrong cases")
    parser.add_argument("--category", help="only list wrong cases of this category")
    args = parser.parse_args(argv)
    grades = grade_all(load_cases())
    table = by_category(grades)
    print(format_table(table))
    if args.verbose or args.category:
        print()
        for g in grades:
            if not g.full and (args.category is None or args.category in g.case.categories):
                print(describe(g))
    missed = shortfalls(table)
    for line in missed:
        print(f"below target: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
