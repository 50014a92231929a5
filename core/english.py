"""The English words spelled right: SymSpell's bundled 82,765-word frequency dictionary.

Both spellers (the offline model's and the safety guard's) correct only words outside it, so a
real word is never "corrected" into another one ("checking" is not "choking").
"""

from __future__ import annotations

import functools
from pathlib import Path


@functools.cache
def english_words() -> frozenset[str]:
    """Every word of the dictionary, lower case."""
    import symspellpy

    path = Path(symspellpy.__file__).resolve().parent / "frequency_dictionary_en_82_765.txt"
    with path.open(encoding="utf-8") as lines:
        return frozenset(line.split(" ", 1)[0] for line in lines)
