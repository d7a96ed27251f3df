"""Tolerant name matching, and the index strategy that keeps person search instant at 100,000 persons per
organisation on PostgreSQL and on SQLite, with no database extension.

Matching
--------
Every alias and other alias goes through two functions:

* `normalise()`: lowercase, accents stripped (é -> e, ï -> i, ç -> c, œ -> oe), anything that is not a letter or a
  digit removed, so "Sékou", "sekou" and "Se-kou" are one string: "sekou".
* `phonetic_key()`: a small French/English-tolerant sound key of the normalised string: silent h dropped,
  chr -> kr, ch/sh/sch -> x, ph -> f, c/q/ck/qu -> k (s before e/i/y), z -> s, dj, di before a vowel and
  g before e/i -> j, y -> i, w -> u, ou -> u, a final e dropped, doubled letters single, and every run of
  vowels replaced by one "a". So
  Mohamed / Mohammed / Mouhamad -> "mamad", Sékou / Sekou / Seikou -> "saka", Aïcha / Aicha / Aisha -> "axa".
  Consonants keep their place, which tells Mohamed ("mamad") from Mehdi ("mada").

The index: `person_names`
-------------------------
Derived rows (org_id, person_id, norm, key, primary), rebuilt by the service whenever a person's aliases change:
one row for each alias as a whole (spaces removed: "abdel karim" -> "abdelkarim") and one for each further
word of it ("karim"), so a search for the second word finds the person too. Two composite b-tree indexes,
(org_id, norm) and (org_id, key), make every lookup a range scan inside one organisation:

* a prefix lookup `norm LIKE 'moh%'` on PostgreSQL: the index is created with the `text_pattern_ops` operator
  class (see the model and migration 0002), without which a LIKE prefix cannot use a b-tree in a non-"C"
  collation. On SQLite the same prefix is the range `norm >= 'moh' AND norm < 'moi'` (byte order, BINARY
  collation), which the planner runs on the same index; SQLite's own LIKE is case-insensitive and would not.
* the same on `key`, which catches the spelling variants.

Each lookup is LIMITed (CANDIDATES rows) and joined to `persons` only for those rows, so the work is bounded
whatever the organisation's size; the candidates are then scored in Python (exact > prefix > sound-alike,
primary alias before other aliases, then string similarity) and the best ones returned, ties broken by the
last contact. A name thousands share fills its range with an arbitrary few of its holders: such a range is read
once more, most recently met first (the sound of the name, else the exact name; see search._candidates).
Lists without a search term use the (org_id, last_contact_at) index of `persons` the same way. `make bench`
measures it on 100,000 persons (alias search, 3 letters).
"""

import re
import unicodedata

from sqlalchemy import ColumnElement, and_

_SPECIAL = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_WORDS = re.compile(r"[a-z0-9]+")
VOWELS = set("aeiou")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().translate(_SPECIAL))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_SPECIAL)


def normalise(text: str) -> str:
    """Lowercase, no accents, only letters and digits: the form every comparison starts from."""
    return _NOT_ALNUM.sub("", _fold(text or ""))


def words(text: str) -> list[str]:
    return _WORDS.findall(_NOT_ALNUM.sub(" ", _fold(text or "")))


_RULES = [
    ("chr", "kr"),
    ("sch", "x"),
    ("sh", "x"),
    ("ch", "x"),
    ("ph", "f"),
    ("th", "t"),
    ("ck", "k"),
    ("qu", "k"),
    ("dj", "j"),
    ("dg", "j"),
    ("ou", "u"),
    ("oo", "u"),
]


def phonetic_key(text: str) -> str:
    """A sound key of a name: spelling variants of the same name share it (see the module docstring)."""
    s = normalise(text)
    if not s:
        return ""
    s = re.sub(r"[0-9]", "", s) or s
    s = s.replace("x", "ks")
    for old, new in _RULES:
        s = s.replace(old, new)
    s = re.sub(r"d[iy](?=[aeou])", "j", s)  # Diallo / Djalo, Tidiane / Tidjane
    s = re.sub(r"c(?=[eiy])", "s", s)
    s = re.sub(r"g(?=[eiy])", "j", s)
    s = s.replace("c", "k").replace("q", "k").replace("z", "s").replace("y", "i").replace("w", "u")
    s = s.replace("h", "")
    if len(s) > 3 and s.endswith("e"):
        s = s[:-1]
    out: list[str] = []
    for ch in s:
        sym = "a" if ch in VOWELS else ch
        if out and out[-1] == sym:
            continue
        out.append(sym)
    return "".join(out)


def name_rows(aliases: list[tuple[str, bool]]) -> list[tuple[str, str, bool]]:
    """(norm, key, primary) search rows for a person's aliases, given as (alias, is_primary)."""
    rows: dict[str, tuple[str, str, bool]] = {}
    for alias, primary in aliases:
        parts = words(alias)
        whole = "".join(parts)
        for i, piece in enumerate([whole, *parts[1:]] if len(parts) > 1 else [whole]):
            if not piece:
                continue
            norm = piece[:120]
            is_primary = primary and i == 0
            if norm not in rows or (is_primary and not rows[norm][2]):
                rows[norm] = (norm, phonetic_key(piece)[:120], is_primary)
    return list(rows.values())


def prefix_clause(column, prefix: str, dialect: str) -> ColumnElement[bool]:
    """`column` starts with `prefix` (letters and digits only), as a range its index reads: on PostgreSQL with the
    operators of `text_pattern_ops` (byte order, which UTF-8 keeps in code point order). Not `LIKE 'kar%'`: the
    planner makes that a range only when the pattern is in the statement's text, and psycopg prepares a statement
    run often, with a generic plan that read every name (a seq scan: 30-36 ms at 100,000 persons under load)."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    if dialect == "postgresql":
        return and_(column.op("~>=~")(prefix), column.op("~<~")(upper))
    return and_(column >= prefix, column < upper)
