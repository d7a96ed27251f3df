"""Browser tests: a real server (uvicorn, in a subprocess) on its own database with the demo data, driven by
Debian's Chromium through Playwright at a phone's 360x740 viewport."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyotp
import pytest
from alembic import command
from playwright.sync_api import expect
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.cli import alembic_config
from app.demo import DEMO_TOTP_SECRET
from tests.conftest import TEST_URL, _tmp

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 360, "height": 740}
DEMO_PASSWORD = "parcours-demo-2026"


def _e2e_database() -> str:
    """A database of its own, so the server's commits never meet the rolled-back unit tests."""
    if TEST_URL.startswith("postgresql"):
        url = make_url(TEST_URL)
        name = f"{url.database}_e2e"
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return url.set(database=name).render_as_string(hide_password=False)
    return f"sqlite:///{_tmp / 'e2e.db'}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server():
    url = _e2e_database()
    command.upgrade(alembic_config(url), "head")
    env = {**os.environ, "DATABASE_URL": url, "DOCUMENTS_DIR": str(_tmp / "e2e-documents")}
    subprocess.run([sys.executable, "-m", "app.cli", "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    port = _free_port()
    log = open(_tmp / "e2e-server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a loaded 2-core machine can take a while to import the app
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("the server did not start: " + (_tmp / "e2e-server.log").read_text()) from None
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def new_page(browser, live_server):
    """Factory for phone-sized pages; each has its own cookies (a separate phone)."""
    contexts = []

    def _make(locale: str = "en-GB"):
        ctx = browser.new_context(viewport=PHONE, locale=locale, base_url=live_server, has_touch=True)
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield _make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def page(new_page):
    return new_page()


_last_step: dict[str, int] = {}


def _next_code(email: str) -> str:
    """A TOTP code for a demo account that this run has not used yet (a code is accepted once: replays are
    refused), waiting for the next 30 s window only when both the current and the next step were used."""
    totp = pyotp.TOTP(DEMO_TOTP_SECRET)
    while True:
        now_step = int(time.time()) // 30
        for step in (now_step, now_step + 1):
            if step > _last_step.get(email, -1):
                _last_step[email] = step
                return totp.generate_otp(step)
        time.sleep(1)


def sign_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in as a demo account, passing the second step for the roles that require it."""
    page.goto("/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.click("button[type=submit]")
    expect(page.locator(".htmx-request")).to_have_count(0)
    if "/login/2fa" in page.url:
        page.fill("#f-code", _next_code(email))
        page.click("button[type=submit] >> nth=0")
        page.wait_for_url(lambda url: "/login" not in url)


def pick_team(page, team_name: str) -> None:
    page.goto("/team")
    page.get_by_role("button", name=team_name).click()
    page.wait_for_url("**/")
