"""One pydantic-settings Settings object: every knob of Parcours, read from the environment or `.env`."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", env_file=".env", extra="ignore")

    # SQLite under var/ is the zero-setup default; PostgreSQL in production.
    database_url: str = f"sqlite:///{ROOT / 'var' / 'parcours.db'}"
    # Signs CSRF tokens. Set it in production (any long random string); the default is for development only.
    secret_key: str = "dev-only-change-me-" + "0" * 32
    # Server-side sessions: idle and absolute lifetimes.
    session_idle_minutes: int = 8 * 60
    session_absolute_hours: int = 72
    # Mark cookies Secure. "auto": when the request came over https (behind a proxy, run uvicorn with
    # --proxy-headers so the scheme is known).
    cookie_secure: str = "auto"
    invitation_days: int = 7
    # argon2id cost: the library's defaults (RFC 9106 "low memory"); the tests lower them for speed.
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 4
    default_lang: str = "fr"
    # Progressive sign-in throttling (see app/auth/service.py).
    throttle_free_attempts: int = 5
    throttle_max_delay_seconds: int = 900
    # Encryption at rest: the master key (base64url of 32 random bytes) that wraps each organisation's data key.
    # Give it in MASTER_KEY or in a file named by MASTER_KEY_FILE; never in the database. Without either, a
    # development (SQLite) installation creates var/master.key; a PostgreSQL one refuses to start.
    master_key: str | None = None
    master_key_file: str | None = None
    log_level: str = "info"
    # Documents and photos attached to persons: kept outside the database, in this directory (back it up with
    # the database), refused past this size.
    documents_dir: str = str(ROOT / "var" / "documents")
    documents_max_mb: int = 10
    # Full exports of an organisation's records (admins): written here in the background, deleted once
    # downloaded or this many hours after they were ready.
    exports_dir: str = str(ROOT / "var" / "exports")
    export_hours: int = 2
    # Addresses of the reverse proxies whose X-Forwarded-For/-Proto headers are trusted.
    forwarded_allow_ips: str = "127.0.0.1"
    # Offline sync. An online form (encounter, check-in, note) that gets no answer within this many seconds is
    # kept in the phone's outbox and sent again later (the same client id: never twice).
    offline_timeout_seconds: int = 15
    # The answers kept for pushed changes (replays get the same answer) are deleted by the daily purge after
    # this many days; a replay after that is still recognised by the record's own id (never doubled).
    sync_receipt_days: int = 30


@lru_cache
def get_settings() -> Settings:
    return Settings()
