"""French and English through gettext catalogs (Babel). The catalogs are read from the .po files at start-up,
so there is no compiled file to forget; the current language lives in a context variable set per request."""

from contextvars import ContextVar
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGS = ("fr", "en")
LANG_NAMES = {"fr": "Français", "en": "English"}
_DIR = Path(__file__).parent / "translations"
_current: ContextVar[str] = ContextVar("lang", default="fr")


def _load(lang: str) -> NullTranslations:
    po = _DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


_CATALOGS = {lang: _load(lang) for lang in LANGS}


def set_lang(lang: str) -> None:
    _current.set(lang if lang in LANGS else LANGS[0])


def get_lang() -> str:
    return _current.get()


def gettext(message: str, **params) -> str:
    text = _CATALOGS[get_lang()].gettext(message)
    return text % params if params else text


class _KeepMissing(dict):
    """Placeholders not given stay as they are: templates (Jinja's newstyle gettext) fill them afterwards."""

    def __missing__(self, key: str) -> str:
        return f"%({key})s"


def ngettext(singular: str, plural: str, n: int, **params) -> str:
    text = _CATALOGS[get_lang()].ngettext(singular, plural, n)
    params.setdefault("num", n)
    return text % _KeepMissing(params)


_ = gettext


def lazy(message: str) -> str:
    """Mark a module-level string for extraction; translate it with _() where it is shown."""
    return message


def pick_lang(accept_language: str | None, default: str) -> str:
    """The first of our languages the browser asks for, honouring q-values; else the default."""
    best, best_q = default, -1.0
    for part in (accept_language or "").split(","):
        piece = part.strip().split(";")
        tag = piece[0].strip().lower()[:2]
        q = 1.0
        for p in piece[1:]:
            if p.strip().startswith("q="):
                try:
                    q = float(p.strip()[2:])
                except ValueError:
                    q = 0.0
        if tag in LANGS and q > best_q:
            best, best_q = tag, q
    return best
