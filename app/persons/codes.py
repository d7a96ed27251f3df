"""Personal codes: six characters, easy to read aloud and to type, unique in the organisation.

The alphabet leaves out the characters misread on a worn card or over the phone (0/O/D-like pairs are kept
apart by dropping 0 and O, and 1/I/L, 2/Z, 5/S, U/V are dropped too): 25**6 = 244 million codes, so a random
draw is checked against the organisation and drawn again when taken."""

import secrets

ALPHABET = "346789ABCDEFGHJKMNPQRTWXY"
LENGTH = 6


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def clean_code(text: str) -> str | None:
    """The code typed in `text` (any case, with spaces or a dash), or None when it cannot be one."""
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    if len(raw) != LENGTH:
        return None
    return raw if all(ch in ALPHABET for ch in raw) else None


def display_code(code: str) -> str:
    """Shown as two groups of three: easier to read out."""
    return f"{code[:3]}-{code[3:]}"
