"""How the app is served: routes off the event loop, a flat route table."""

import asyncio

from fastapi.routing import APIRoute

from app.main import app

# Read their multipart body themselves (size checked first): the only async routes that touch the database.
UPLOADS = {"add_document", "import_file"}


def test_routes_that_query_the_database_run_in_the_thread_pool():
    """An `async def` route runs its synchronous queries on the event loop, blocking every other request of the
    process (make bench: 5 encounters/s with 32 clients). Forms are read by `web.read_posted_form` instead."""
    api = [r for r in app.router.routes if isinstance(r, APIRoute)]
    assert len(api) > 150  # flat: every route of the app is at the top (include_flat)
    async_routes = {r.endpoint.__name__ for r in api if asyncio.iscoroutinefunction(r.endpoint)}
    assert async_routes <= UPLOADS


def test_a_posted_form_reaches_a_plain_route(client, db):
    from tests.factories import make_org, make_user, sign_in

    org = make_org(db)
    user = make_user(db, org, role="worker")
    sign_in(client, db, user)
    resp = client.post("/account/language", data={"lang": "en"}, follow_redirects=False)
    assert resp.status_code < 400
    db.refresh(user)
    assert user.lang == "en"


def test_select_options_escape_names_and_keep_the_chosen_one():
    import uuid
    from types import SimpleNamespace

    from app.web import option_tags

    a, b = uuid.uuid4(), uuid.uuid4()
    rows = [SimpleNamespace(id=a, name="Nuit <Nord> & co"), SimpleNamespace(id=b, name="Jour")]
    html = str(option_tags(rows, str(b)))
    assert f'<option value="{a}">Nuit &lt;Nord&gt; &amp; co</option>' in html
    assert f'<option value="{b}" selected>Jour</option>' in html
    assert option_tags(rows, b) == html  # the id itself or its text
    assert "selected" not in str(option_tags(rows, "")) and "selected" not in str(option_tags(rows, "not-an-id"))


def test_planner_settings_hold_for_their_statements_only(db):
    """The caseload summary turns hash and merge joins off for its counts (app/db.py: planner): every later statement,
    in the same request or another, is planned as usual again."""
    import pytest
    from sqlalchemy import text

    from app.db import planner

    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner settings; SQLite has none")

    def setting() -> str:
        return db.execute(text("SHOW enable_hashjoin")).scalar_one()

    with planner(db, enable_hashjoin="off"):
        assert setting() == "off"
    assert setting() == "on"
    with planner(db, enable_hashjoin="off"):
        db.commit()  # this transaction only, even if it ended inside
    assert setting() == "on"


def test_every_template_compiles_when_a_worker_starts():
    """A worker compiles every page's template before serving (no first visitor waits for it), so a template that
    does not compile, even one no other test renders, stops the start instead of failing a user's page."""
    import app.main  # noqa: F401  (the filters and globals every template uses)
    from app.web import compile_templates, env

    assert compile_templates() == len([n for n in env.list_templates() if n.endswith(".html")]) > 100
