"""`make bench`: real HTTP requests to a real server, at 1,000 and 100,000 persons, on PostgreSQL and SQLite.

    .venv/bin/python bench/run.py                      # everything (PostgreSQL 1k + 100k, SQLite 1k)
    .venv/bin/python bench/run.py --scales 1000 --no-sqlite --requests 200

For each data set (generated once by app/bench_data.py, reused when present with the same parameters) it starts
`python -m uvicorn app.main:app` (one worker), signs bench users in, and sends each SCENARIO from concurrent
clients (threads, one kept-alive httpx client each), then measures write throughput against plain INSERTs, page
weights and the server's peak memory. Results: bench/results.json and bench/results.md (the README's table).

A scenario is one line in SCENARIOS: a name, the client it runs as, whether it is a field request (target
p95 < 50 ms) and a function (client, ctx, i) -> response. Add one there and it is measured everywhere."""

import argparse
import contextlib
import json
import logging
import os
import platform
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

logging.getLogger("httpx").setLevel(logging.WARNING)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
MASTER_KEY = os.environ.get("BENCH_MASTER_KEY", "YmVuY2gtbWFzdGVyLWtleS1vZi0zMi1ieXRlcy1vayE")
SEED, YEARS = 1, 2
PORT = int(os.environ.get("BENCH_PORT", "8765"))
# `parcours serve --workers` of the app under test: 2 on this 2-core machine (measured, see the README).
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))


# ------------------------------------------------------------------------------------------------- scenarios
@dataclass
class Scenario:
    name: str
    who: str  # "worker" (a patrol team), "reception" (the rest area), "coordinator" (coordination, with TOTP)
    field: bool  # a field request: p95 target under 50 ms
    send: Callable[["Client", dict, int], httpx.Response]
    requests: int | None = None  # at most this many for 400 (a slow report), with at most `clients` at once
    clients: int | None = None


def _search(c, ctx, i):
    return c.get("/persons", params={"q": ctx["prefixes"][i % len(ctx["prefixes"])]}, headers={"HX-Request": "true"})


def _person(c, ctx, i):
    return c.get(f"/persons/{ctx['persons'][i % len(ctx['persons'])]}")


def _encounter(c, ctx, i):
    data = {"id": str(uuid.uuid4()), "person_ids": ctx["persons"][i % len(ctx["persons"])], "note": "Bench."}
    return c.post("/encounters", data=data)


def _checkin(c, ctx, i):
    return c.post("/checkins", data={"id": str(uuid.uuid4()), "person_id": ctx["persons"][i % len(ctx["persons"])]})


def _year_of_indicators(c, ctx, i):
    from datetime import date, timedelta

    end = date.today()
    return c.get("/indicators", params={"start": (end - timedelta(days=364)).isoformat(), "end": end.isoformat()})


SCENARIOS: list[Scenario] = [
    Scenario("alias search (3 letters, htmx)", "worker", True, _search),
    Scenario("person page", "worker", True, _person),
    Scenario("log an encounter (POST)", "worker", True, _encounter),
    Scenario("check someone in (POST)", "reception", True, _checkin),
    Scenario("team home page", "worker", True, lambda c, ctx, i: c.get("/")),
    # Coordinators: the caseload's summary of every list, then one list (the default, "not seen for 30 days",
    # a page of it), and the organisation's indicators over the last 365 days against the year before.
    Scenario("caseload summary", "coordinator", False, lambda c, ctx, i: c.get("/caseload")),
    Scenario("caseload list (not seen)", "coordinator", False, lambda c, ctx, i: c.get("/caseload/list?name=not_seen")),
    # A year of indicators took 45 s at 100,000 persons before issue 8's work on it: a few requests, 2 at once.
    Scenario("indicators, a year", "coordinator", False, _year_of_indicators, requests=12, clients=2),
]


# ------------------------------------------------------------------------------------------------- clients
class Client(httpx.Client):
    """One browser: its own session cookie, CSRF token and keep-alive connection."""

    def __init__(self, base: str):
        super().__init__(base_url=base, timeout=300, headers={"Sec-Fetch-Site": "same-origin"})
        self.csrf = ""

    def sign_in(self, email: str, password: str, totp_secret: str | None = None, team_kind: str | None = None):
        page = self.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = self.post("/login", data={"email": email, "password": password, "csrf_token": token})
        assert r.status_code in (302, 303), (r.status_code, r.text[:300])
        if totp_secret:
            import pyotp

            page = self.get("/login/2fa")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            r = self.post("/login/2fa", data={"code": pyotp.TOTP(totp_secret).now(), "csrf_token": token})
            assert r.status_code in (302, 303), (r.status_code, r.text[:300])
        home = self.get("/")
        if home.status_code in (302, 303) and home.headers["location"].startswith("/team"):
            page = self.get("/team")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            team = re.search(r'name="team_id" value="([^"]+)"', page.text).group(1)
            self.post("/team", data={"team_id": team, "csrf_token": token})
            home = self.get("/")
        self.csrf = re.search(r'data-csrf="([^"]+)"', home.text).group(1)
        self.headers["X-CSRF-Token"] = self.csrf
        return self


def server_ms(r: httpx.Response) -> float | None:
    m = re.search(r"app;dur=([\d.]+)", r.headers.get("server-timing", ""))
    return float(m.group(1)) if m else None


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_concurrent(clients: list[Client], n: int, fn: Callable[[Client, int], httpx.Response]) -> dict:
    """n requests spread over the clients (one thread each); latencies client-side and server-side."""
    lat, srv, errors, lock = [], [], [], threading.Lock()
    counter = iter(range(n))

    def worker(c: Client):
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            t0 = time.perf_counter()
            try:
                r = fn(c, i)
            except httpx.HTTPError as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}")
                continue
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                if r.status_code >= 400:
                    errors.append(f"{r.status_code} {r.request.url.path}")
                lat.append(dt)
                s = server_ms(r)
                if s is not None:
                    srv.append(s)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    out = {"n": len(lat), "errors": len(errors), "rps": round(len(lat) / wall, 1), "wall_s": round(wall, 2)}
    for p in (50, 95, 99):
        out[f"p{p}"] = round(pct(lat, p), 1)
        out[f"server_p{p}"] = round(pct(srv, p), 1)
    if errors:
        out["first_error"] = errors[0]
    return out


# ------------------------------------------------------------------------------------------------- data and server
def prepare(url: str, persons: int) -> dict:
    """Generate (or reuse) the data set and pick what the scenarios ask for."""
    os.environ["DATABASE_URL"] = url
    os.environ["MASTER_KEY"] = MASTER_KEY
    from alembic import command
    from sqlalchemy import func, select, text
    from sqlmodel import Session

    import app.main  # noqa: F401  (every domain registers itself)
    from app import bench_data
    from app.cli import alembic_config
    from app.config import get_settings
    from app.db import make_engine
    from app.indicators import rollup
    from app.models import EncounterPerson, Person

    get_settings.cache_clear()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    engine = make_engine(url)
    with Session(engine) as session:
        summary = bench_data.generate(session, persons, 1, YEARS, SEED, progress=lambda m: print("   ", m, flush=True))
        org = summary.orgs[0]
        forgotten = forget_earlier_runs(session, org)
        if forgotten:
            print(f"    {forgotten} encounters and check-ins written by earlier runs deleted", flush=True)
        # The indicators' kept figures up to date before measuring (a data set generated before they existed, or
        # marks left by an earlier run's writes), as `parcours indicators rebuild` does once after an upgrade.
        rollup.refresh(session, org)
        session.commit()
        if forgotten and engine.dialect.name == "postgresql":
            # What autovacuum would have done since (it is off on some machines): the rows earlier runs wrote,
            # updated and deleted leave dead versions (after three runs 30,000 in the indicators' marks, which
            # hold about 1,000 live, and 10,000 in persons), and the next runs read through them, slower each time.
            started = time.perf_counter()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM (ANALYZE)"))
            print(f"    vacuumed in {time.perf_counter() - started:.1f} s", flush=True)
        rows = bench_data.counts(session, [org])
        # Persons to open: a mix of the busiest (long timelines) and ordinary ones, deterministic.
        busiest = session.execute(
            select(EncounterPerson.person_id)
            .where(EncounterPerson.org_id == org)
            .group_by(EncounterPerson.person_id)
            .order_by(func.count().desc())
            .limit(20)
        ).scalars()
        ordinary = session.execute(
            select(Person.id).where(Person.org_id == org).order_by(Person.code).limit(400)
        ).scalars()
        # Once each (a busy person may also be an ordinary one): a check-in of someone already present is refused.
        persons_ = list(dict.fromkeys([str(p) for p in busiest] + [str(p) for p in ordinary]))[:400]
        random.Random(SEED).shuffle(persons_)
    engine.dispose()
    return {
        "url": url,
        "org": org,
        "persons": persons_,
        "prefixes": ["moh", "sek", "aic", "mam", "you", "kar", "nad", "jea", "ibr", "fat", "lei", "ous"],
        "counts": rows,
        "generate_s": round(summary.seconds, 1),  # 0: reused
        "encrypt_ms": round(summary.encrypt_ms, 3),
        "emails": {
            role: bench_data.bench_email(0, role, persons, SEED) for role in ("worker", "reception", "coordinator")
        },
    }


def forget_earlier_runs(session, org) -> int:
    """Delete the encounters and check-ins that earlier runs wrote through the app (found by their audit rows: the
    generator writes none), so that every run measures the same data set. Without this, the bench team's day held
    7,000 encounters after a day of runs, and its home page measured that rather than a team's day."""
    from sqlalchemy import delete, select

    from app.models import (
        AuditEvent,
        Checkin,
        CheckinServiceUse,
        Encounter,
        EncounterMaterial,
        EncounterPerson,
        EncounterService,
    )

    done = 0
    for action, parent, children in (
        ("encounter.created", Encounter, [(EncounterPerson, "encounter_id"), (EncounterMaterial, "encounter_id"),
                                          (EncounterService, "encounter_id")]),
        ("checkin.created", Checkin, [(CheckinServiceUse, "checkin_id")]),
    ):  # fmt: skip
        written = select(AuditEvent.entity_id).where(AuditEvent.org_id == org, AuditEvent.action == action)
        ids = [uuid.UUID(i) for i in session.execute(written).scalars()]
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            for child, column in children:
                session.execute(delete(child).where(getattr(child, column).in_(chunk)))
            done += session.execute(delete(parent).where(parent.id.in_(chunk))).rowcount or 0
        session.execute(delete(AuditEvent).where(AuditEvent.org_id == org, AuditEvent.action == action))
    session.commit()
    return done


def close_checkins(ctx: dict) -> None:
    """Check everyone out (a person already present cannot be checked in again): each run starts the same."""
    from sqlalchemy import update
    from sqlmodel import Session

    from app.db import make_engine
    from app.models import Checkin, utcnow

    engine = make_engine(ctx["url"])
    with Session(engine) as session:
        stmt = update(Checkin).where(Checkin.org_id == ctx["org"], Checkin.left_at.is_(None)).values(left_at=utcnow())
        session.execute(stmt)
        session.commit()
    engine.dispose()


def start_server(url: str, module: str = "app.main:app", port: int = PORT, probe: str = "/login") -> subprocess.Popen:
    import socket

    with socket.socket() as probe_socket:  # another server on the port would answer the bench's requests
        if probe_socket.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} is already in use: set BENCH_PORT to a free one")
    env = {**os.environ, "DATABASE_URL": url, "MASTER_KEY": MASTER_KEY, "LOG_LEVEL": "warning"}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        module,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    if module == "app.main:app":  # what production runs: `parcours serve` (its --workers binds the socket itself)
        cmd = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--workers", str(WORKERS)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)  # noqa: S603 (our own server, fixed arguments)
    deadline = time.monotonic() + 180  # two workers importing the app on a loaded 2-core machine take a while
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=2).status_code in (200, 405):
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop(proc)
    raise RuntimeError("the server did not start")


def cpu_ms(pid: int) -> float:
    """CPU time (user + system) the server (the process and its workers) has used so far, in ms: per request,
    what the load of other processes on the machine changes least."""
    total = 0.0
    for p in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    return total


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids = (task / "children").read_text().split()
        for k in kids:
            out += [int(k), *children(int(k))]
    return out


def stop(proc: subprocess.Popen) -> None:
    """Stop the server (its workers with it), killing it when it does not stop in time."""
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        for p in children(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, 9)
        proc.kill()
        proc.wait(10)


def vm_hwm_kb(pid: int) -> int:
    """Peak resident memory of the server: of its largest process when it runs several workers."""
    peak = 0
    for p in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except FileNotFoundError:
            continue
    return peak


def page_weight(c: Client, path: str) -> dict:
    """Bytes on the wire (gzip, as a browser gets them) of a first full load: the page and its CSS and JS."""
    r = c.get(path, headers={"Accept-Encoding": "gzip"})
    html_wire = r.num_bytes_downloaded
    assets = re.findall(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"', r.text)
    total = html_wire
    for a in dict.fromkeys(assets):
        total += c.get(a, headers={"Accept-Encoding": "gzip"}).num_bytes_downloaded
    return {"html_bytes": html_wire, "total_bytes": total, "raw_html_bytes": len(r.content), "assets": len(set(assets))}


def plain_insert_rate(url: str, threads: int = 32, seconds: float = 4.0) -> float:
    """Single-row INSERTs (autocommit) per second into a scratch table: the physical limit of the write path."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, pool_size=threads, max_overflow=0)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_scratch"))
        conn.execute(text("CREATE TABLE bench_scratch (id VARCHAR(36) PRIMARY KEY, at VARCHAR(40), note TEXT)"))
    done, lock, stop = [0], threading.Lock(), time.perf_counter() + seconds

    def work():
        n = 0
        with engine.connect() as conn:
            while time.perf_counter() < stop:
                with conn.begin():
                    conn.execute(
                        text("INSERT INTO bench_scratch VALUES (:id, :at, :note)"),
                        {"id": str(uuid.uuid4()), "at": time.strftime("%Y-%m-%dT%H:%M:%S"), "note": "x" * 40},
                    )
                n += 1
        with lock:
            done[0] += n

    t0 = time.perf_counter()
    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    rate = done[0] / (time.perf_counter() - t0)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE bench_scratch"))
    engine.dispose()
    return rate


def minimal_endpoint_rate(url: str, clients: int, n: int) -> float:
    """POSTs per second that bench/minimal_app.py (FastAPI, one INSERT per request, nothing else) serves to
    `clients` concurrent clients: the ceiling of Python + HTTP + one commit here."""
    from sqlalchemy import create_engine, text

    proc = start_server(url, "bench.minimal_app:app", PORT + 1, "/insert")
    try:
        pool = [httpx.Client(base_url=f"http://127.0.0.1:{PORT + 1}", timeout=60) for _ in range(clients)]
        run_concurrent(pool, 50, lambda c, i: c.post("/insert", data={"note": "Bench."}))  # warm-up
        r = run_concurrent(pool, n, lambda c, i: c.post("/insert", data={"note": "Bench."}))
        for c in pool:
            c.close()
    finally:
        stop(proc)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_minimal"))
    engine.dispose()
    return r["rps"]


def bench_one(label: str, url: str, persons: int, n: int, concurrency: int, write_clients: int) -> dict:
    from app.bench_data import BENCH_PASSWORD, BENCH_TOTP_SECRET

    print(f"== {label}: data", flush=True)
    ctx = prepare(url, persons)
    print(f"   {ctx['counts']}", flush=True)
    proc = start_server(url)
    base = f"http://127.0.0.1:{PORT}"
    result = {"label": label, "persons": persons, "counts": ctx["counts"], "generate_s": ctx["generate_s"],
              "encrypt_ms": ctx["encrypt_ms"], "scenarios": {}}  # fmt: skip
    try:
        pools: dict[str, list[Client]] = {}

        def clients(who: str, k: int) -> list[Client]:
            have = pools.setdefault(who, [])
            while len(have) < k:
                if who == "coordinator" and have:  # a TOTP code is accepted once: the other tabs share the session
                    tab = Client(base)
                    tab.cookies = have[0].cookies
                    tab.headers["X-CSRF-Token"] = tab.csrf = have[0].csrf
                    have.append(tab)
                    continue
                secret = BENCH_TOTP_SECRET if who == "coordinator" else None
                have.append(Client(base).sign_in(ctx["emails"][who], BENCH_PASSWORD, secret))
            return have[:k]

        mem0 = vm_hwm_kb(proc.pid)
        # Warm-up: every scenario a few times (imports, template compilation, connection pool, caches).
        for s in SCENARIOS:
            warm = 2 if s.requests else 20
            run_concurrent(clients(s.who, 2), warm, lambda c, i, s=s: s.send(c, ctx, i + 10_000))
        for s in SCENARIOS:
            close_checkins(ctx)
            load, cpu0 = os.getloadavg()[0], cpu_ms(proc.pid)
            k = min(concurrency, s.clients or concurrency)
            m = min(n, max(4, n * s.requests // 400)) if s.requests else n
            r = run_concurrent(clients(s.who, k), m, lambda c, i, s=s: s.send(c, ctx, i))
            r["load1"] = round(load, 2)
            r["cpu_ms"] = round((cpu_ms(proc.pid) - cpu0) / max(r["n"], 1), 1)
            result["scenarios"][s.name] = r
            print(f"   {s.name:<34} p50 {r['p50']:6.1f}  p95 {r['p95']:6.1f}  p99 {r['p99']:6.1f} ms  "
                  f"(server p95 {r['server_p95']:6.1f})  cpu {r['cpu_ms']:5.1f} ms/req  {r['rps']:6.1f}/s  "
                  f"errors {r['errors']}  load {load:.1f}",
                  flush=True)  # fmt: skip
        enc = next(s for s in SCENARIOS if s.name.startswith("log an encounter"))
        load, cpu0 = os.getloadavg()[0], cpu_ms(proc.pid)
        w = run_concurrent(clients("worker", write_clients), max(n, 600), lambda c, i: enc.send(c, ctx, i))
        w["cpu_ms"] = round((cpu_ms(proc.pid) - cpu0) / max(w["n"], 1), 1)
        plain = plain_insert_rate(url, write_clients)
        minimal = minimal_endpoint_rate(url, write_clients, max(n, 600))
        result["write"] = {"clients": write_clients, "encounters_per_s": w["rps"], "p95": w["p95"],
                           "errors": w["errors"], "cpu_ms": w["cpu_ms"], "load1": round(load, 2),
                           "plain_inserts_per_s": round(plain, 1), "minimal_endpoint_per_s": minimal,
                           "ratio": round(w["rps"] / plain, 3) if plain else None,
                           "ratio_minimal": round(w["rps"] / minimal, 3) if minimal else None}  # fmt: skip
        print(
            f"   write: {w['rps']} encounters/s with {write_clients} clients ({w['cpu_ms']} ms CPU each), "
            f"plain inserts {plain:.0f}/s, minimal FastAPI insert endpoint {minimal}/s  load {load:.1f}",
            flush=True,
        )
        c = clients("worker", 1)[0]
        fresh = Client(base).sign_in(ctx["emails"]["worker"], BENCH_PASSWORD)
        result["weight"] = {
            "home": page_weight(fresh, "/"),
            "encounter form": page_weight(fresh, "/encounters/new"),
        }
        part = c.get("/persons", params={"q": "moh"}, headers={"HX-Request": "true", "Accept-Encoding": "gzip"})
        result["weight"]["search partial (htmx)"] = {"total_bytes": part.num_bytes_downloaded,
                                                     "raw_html_bytes": len(part.content)}  # fmt: skip
        result["memory"] = {"before_kb": mem0, "peak_kb": vm_hwm_kb(proc.pid)}
        print(f"   weights {json.dumps(result['weight'])}  peak memory {result['memory']['peak_kb'] // 1024} MB")
    finally:
        stop(proc)
    return result


# ------------------------------------------------------------------------------------------------- report
def machine() -> dict:
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    pg = ""
    try:
        from sqlalchemy import create_engine, text

        e = create_engine(f"{PG}/postgres")
        with e.connect() as conn:
            pg = conn.execute(text("SHOW server_version")).scalar()
        e.dispose()
    except Exception:  # noqa: BLE001
        pg = "unavailable"
    return {"nproc": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1), "postgresql": pg,
            "python": platform.python_version(), "kernel": platform.release(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}  # fmt: skip


def markdown(results: dict) -> str:
    m = results["machine"]
    runs = results["runs"]
    lines = [
        f"Measured {m['date']} on {m['nproc']} cores, {m['memory_gb']} GB, PostgreSQL {m['postgresql']}, "
        f"Python {m['python']}; `parcours serve --workers {results.get('workers', 1)}`; "
        f"{results['concurrency']} concurrent clients, "
        f"{results['requests']} requests per scenario. Milliseconds, client side on loopback (server's own "
        "`Server-Timing` p95 in brackets). The machine is a shared virtual one (its neighbours' load varies): "
        "the load average is given per scenario, figures are noisy.",
        "",
    ]
    names = list(dict.fromkeys(n for r in runs for n in r["scenarios"]))
    head = "| scenario | " + " | ".join(f"{r['label']} p50 / p95 / p99 (load)" for r in runs)
    pg_small = next((r for r in runs if r["label"].startswith("PostgreSQL") and r["persons"] < 10_000), None)
    pg_big = next((r for r in runs if r["label"].startswith("PostgreSQL") and r["persons"] >= 10_000), None)
    ratio = pg_small and pg_big
    lines.append(head + (" | p95 ratio 100k/1k |" if ratio else " |"))
    lines.append("|---" * (len(runs) + 1 + (1 if ratio else 0)) + "|")
    for name in names:
        cells = []
        for r in runs:
            s = r["scenarios"].get(name)
            few = f" n={s['n']}" if s and s["n"] < results["requests"] else ""
            cell = f"{s['p50']} / **{s['p95']}** / {s['p99']} [{s['server_p95']}] ({s['load1']}){few}" if s else "-"
            cells.append(cell)
        row = f"| {name} | " + " | ".join(cells)
        if ratio:
            a, b = pg_small["scenarios"].get(name), pg_big["scenarios"].get(name)
            row += f" | {b['p95'] / a['p95']:.2f}" if a and b else " | -"
        lines.append(row + " |")
    lines.append("")
    lines.append("| | " + " | ".join(r["label"] for r in runs) + " |")
    lines.append("|---" * (len(runs) + 1) + "|")

    def row(label, fn):
        lines.append(f"| {label} | " + " | ".join(fn(r) for r in runs) + " |")

    row("rows (persons / encounters / check-ins)", lambda r: f"{r['counts']['persons']:,} / "
        f"{r['counts']['encounters']:,} / {r['counts']['checkins']:,}")  # fmt: skip
    row("data generation (s; reused: generated by an earlier run)", lambda r: str(r["generate_s"] or "reused"))
    row(
        "encounters logged per s (32 clients)",
        lambda r: (
            str(r["write"]["encounters_per_s"])
            + (f" ({r['write']['errors']} errors)" if r["write"].get("errors") else "")
        ),
    )
    row("plain single-row INSERTs per s (32 threads)", lambda r: str(r["write"]["plain_inserts_per_s"]))
    row("write ratio (target >= 0.25)", lambda r: str(r["write"]["ratio"]))
    row(
        "minimal FastAPI endpoint, one INSERT per POST, per s (32 clients)",
        lambda r: str(r["write"].get("minimal_endpoint_per_s", "-")),
    )
    row("encounters / minimal endpoint", lambda r: str(r["write"].get("ratio_minimal", "-")))
    row("server CPU per encounter logged (ms)", lambda r: str(r["write"].get("cpu_ms", "-")))
    row("first load, home (HTML+CSS+JS, gzip bytes)", lambda r: f"{r['weight']['home']['total_bytes']:,}")
    row("first load, encounter form (gzip bytes)", lambda r: f"{r['weight']['encounter form']['total_bytes']:,}")
    row("search partial (htmx, gzip bytes)", lambda r: f"{r['weight']['search partial (htmx)']['total_bytes']:,}")
    row("server peak memory (VmHWM, MB)", lambda r: str(r["memory"]["peak_kb"] // 1024))
    return "\n".join(lines) + "\n"


def update_readme(table: str) -> None:
    readme = ROOT / "README.md"
    text_ = readme.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start in text_:
        before, rest = text_.split(start, 1)
        after = rest.split(end, 1)[1]
        readme.write_text(f"{before}{start}\n{table}{end}{after}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="1000,100000", help="persons, comma-separated")
    ap.add_argument("--requests", type=int, default=400, help="per scenario")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--write-clients", type=int, default=32)
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--only", default="", help="run only the scenarios whose name contains this (with --merge)")
    ap.add_argument("--merge", action="store_true", help="keep the other data sets' runs of bench/results.json")
    ap.add_argument("--no-readme", action="store_true", help="do not rewrite the README's table")
    args = ap.parse_args()
    if args.only:
        SCENARIOS[:] = [s for s in SCENARIOS if args.only in s.name] + [
            s for s in SCENARIOS if s.name.startswith("log an")
        ]
    runs = []
    scales = [int(s) for s in args.scales.split(",")]
    plan = []
    if not args.no_sqlite:
        plan.append((f"SQLite {scales[0] // 1000}k", f"sqlite:///{ROOT / 'var' / f'bench_{scales[0]}.db'}", scales[0]))
    if not args.no_postgres:
        from sqlalchemy import create_engine, text

        admin = create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for p in scales:
                name = f"parcours_bench_{p // 1000}k"
                if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                plan.append((f"PostgreSQL {p // 1000}k", f"{PG}/{name}", p))
        admin.dispose()
    for label, url, persons in plan:
        runs.append(bench_one(label, url, persons, args.requests, args.concurrency, args.write_clients))
    out = ROOT / "bench" / "results.json"
    if args.merge and out.exists():
        old = {r["label"]: r for r in json.loads(out.read_text())["runs"]}
        for r in runs:
            if args.only and r["label"] in old:  # a partial run: its scenarios replace the old ones
                old[r["label"]]["scenarios"].update(r["scenarios"])
                r["scenarios"] = old[r["label"]]["scenarios"]
                r["generate_s"] = r["generate_s"] or old[r["label"]].get("generate_s", 0)
            old[r["label"]] = r
        runs = list(old.values())
        order = ["SQLite", "PostgreSQL"]
        runs.sort(key=lambda r: (order.index(r["label"].split()[0]), r["persons"]))
    results = {"machine": machine(), "workers": WORKERS, "concurrency": args.concurrency, "requests": args.requests,
               "runs": runs}  # fmt: skip
    out.write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (ROOT / "bench" / "results.md").write_text(table)
    if not args.no_readme:
        update_readme(table)
    print(table)


if __name__ == "__main__":
    main()
