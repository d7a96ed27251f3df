"""Every string shown to users is extracted and translated into French."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.i18n import gettext, pick_lang, set_lang

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "lazy": None, "ngettext": (1, 2)}
METHODS = [("app/**.py", "python"), ("templates/**.html", "jinja2")]


def _source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_has_a_french_translation():
    with (ROOT / "app/translations/fr/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(_source_messages() - translated)
    assert missing == [], f"untranslated (run `make i18n` and fill the .po): {missing}"


def test_language_follows_browser_preferences():
    assert pick_lang("en-GB,en;q=0.9,fr;q=0.8", "fr") == "en"
    assert pick_lang("de-DE,fr;q=0.5,en;q=0.4", "en") == "fr"
    assert pick_lang("de-DE", "fr") == "fr"
    assert pick_lang("en;q=garbage,fr", "en") == "fr"
    set_lang("fr")
    assert gettext("Sign in") == "Se connecter"
    set_lang("en")
    assert gettext("Sign in") == "Sign in"
