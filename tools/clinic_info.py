"""`clinic_info`: the clinic's own facts from data/clinic.md, found with SQLite FTS5 (BM25).

The file is the single source a clinic edits; the index is rebuilt in memory whenever the
file's content hash changes, so an edit is live on the next question without a restart.
"""

import difflib
import hashlib
import json
import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

NAME = "clinic_info"
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an and are as at be can do does for from have how i if in is it me my of on or our "
    "please so the there to we what when where which who will with you your yours whats ur u "
    "time number any need should visit".split()
)
# Patient words mapped to the words the clinic file uses (kept small and explicit).
_SYNONYMS = {
    "located": "address",
    "location": "address",
    "find": "directions",
    "get": "directions",
    "train": "subway",
    "metro": "subway",
    "open": "hours",
    "close": "hours",
    "closed": "hours",
    "weekend": "saturday",
    "car": "parking",
    "park": "parking",
    "wheelchair": "accessible",
    "cost": "pay",
    "price": "pay",
    "insurer": "insurance",
    "covered": "insurance",
    "eat": "food",
    "cancel": "cancellation",
    "call": "phone",
    "first": "new",
    "email": "email",
}


@dataclass(frozen=True)
class Section:
    title: str
    text: str
    score: float


def parse_sections(markdown: str) -> list[tuple[str, str]]:
    """`## Title` sections of the file, as (title, body) pairs."""
    sections: list[tuple[str, str]] = []
    for chunk in re.split(r"^## ", markdown, flags=re.MULTILINE)[1:]:
        title, _, body = chunk.partition("\n")
        sections.append((title.strip(), body.strip()))
    return sections


def _query(question: str, vocabulary: list[str]) -> str:
    terms: list[str] = []
    for raw in _WORD.findall(question.lower()):
        if raw in _STOP or len(raw) < 2:
            continue
        # A typo ("parkng") is read as the closest word the file uses, if one is close enough.
        typo = len(raw) >= 5 and raw not in vocabulary
        close = difflib.get_close_matches(raw, vocabulary, n=1, cutoff=0.9) if typo else []
        word = close[0] if close and raw not in _SYNONYMS else raw
        for term in {word, _SYNONYMS.get(word, word)}:
            terms.append(f'"{term}"*' if len(term) >= 4 else f'"{term}"')
    return " OR ".join(dict.fromkeys(terms))


class ClinicInfo:
    """The FTS5 index over the clinic file; thread-safe, rebuilt when the file changes."""

    def __init__(self, path: Path, threshold: float = 0.8) -> None:
        self.path = path
        self.threshold = threshold
        self._lock = threading.Lock()
        self._digest = ""
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute("CREATE VIRTUAL TABLE sections USING fts5(title, body, tokenize='porter unicode61')")
        self.phone = ""
        self._vocabulary: list[str] = []
        self._refresh()

    def _refresh(self) -> None:
        raw = self.path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest == self._digest:
            return
        text = raw.decode("utf-8")
        with self._db:
            self._db.execute("DELETE FROM sections")
            self._db.executemany("INSERT INTO sections(title, body) VALUES (?, ?)", parse_sections(text))
        match = re.search(r"Phone:\s*([^.\n]+)", text)
        self.phone = match.group(1).strip() if match else ""
        self._vocabulary = sorted(set(_WORD.findall(text.lower())))
        self._digest = digest

    def search(self, question: str, limit: int = 2) -> list[Section]:
        """Sections scoring above the threshold, best first (score = -bm25, higher is better)."""
        with self._lock:
            self._refresh()
            query = _query(question, self._vocabulary)
            if not query:
                return []
            rows = self._db.execute(
                "SELECT title, body, -bm25(sections, 4.0, 1.0) AS score FROM sections "
                "WHERE sections MATCH ? ORDER BY score DESC LIMIT ?",
                (query, limit),
            ).fetchall()
        return [Section(t, b, round(s, 3)) for t, b, s in rows if s >= self.threshold]


class ClinicInfoArgs(BaseModel):
    """Look up the clinic's own information (address, hours, parking, insurance, policies)."""

    question: str = Field(description="The patient's question, in their words.", min_length=1, max_length=500)


def build_clinic_tool(info: ClinicInfo) -> BaseTool:
    """The `clinic_info` tool over one index."""

    def clinic_info(question: str) -> str:
        found = info.search(question)
        if not found:
            return json.dumps(
                {
                    "ok": True,
                    "found": False,
                    "phone": info.phone,
                    "hint": f"Not in our information; offer the phone {info.phone}.",
                }
            )
        return json.dumps(
            {
                "ok": True,
                "found": True,
                "sections": [{"title": s.title, "text": s.text, "score": s.score} for s in found],
            }
        )

    return StructuredTool.from_function(
        func=clinic_info,
        name=NAME,
        description=ClinicInfoArgs.__doc__ or "",
        args_schema=ClinicInfoArgs,
    )
