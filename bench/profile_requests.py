"""Where a request's time goes: queries per request, time in SQL, time in Python, and optionally a cProfile.

    .venv/bin/python bench/profile_requests.py --persons 100000                  # every scenario of bench/run.py
    .venv/bin/python bench/profile_requests.py --persons 100000 --only search --profile --sql

In-process (Starlette's TestClient, the app of this checkout) against the data set of `make bench`
(parcours_bench_<N>k, generated when missing). Prints per scenario: requests, median and worst wall time, queries
per request, median SQL time; with --sql the statements of one request with their time, and with --profile the
functions that took the most cumulative time over the runs."""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import run  # noqa: E402  (bench/run.py: the scenarios, the data set and the sign-in)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=1000)
    ap.add_argument("--url", default="", help="database URL (default: make bench's PostgreSQL database)")
    ap.add_argument("--only", default="")
    ap.add_argument("-n", type=int, default=30, help="requests per scenario")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--sql", action="store_true", help="the statements of one request, and where from")
    ap.add_argument("--cpu", action="store_true", help="CPU time per function and request, every thread (yappi)")
    args = ap.parse_args()
    url = args.url or f"{run.PG}/parcours_bench_{args.persons // 1000}k"
    ctx = run.prepare(url, args.persons)
    run.close_checkins(ctx)
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import event
    from starlette.testclient import TestClient

    from app.bench_data import BENCH_PASSWORD, BENCH_TOTP_SECRET
    from app.config import get_settings
    from app.db import get_engine

    get_settings.cache_clear()
    get_engine.cache_clear()
    from app.main import create_app

    engine = get_engine()
    log: list[tuple[str, float, str]] = []
    starts: dict[int, float] = {}
    callers: dict[int, str] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, params, context, executemany):
        starts[id(cursor)] = time.perf_counter()
        if args.sql:  # the app's frames that led to this statement, innermost last
            frames = [f for f in traceback.extract_stack() if "/app/" in f.filename]
            callers[id(cursor)] = " < ".join(
                f"{f.filename.split('/app/')[-1]}:{f.lineno} {f.name}" for f in reversed(frames[-3:])
            )

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, params, context, executemany):
        ms = (time.perf_counter() - starts.pop(id(cursor), time.perf_counter())) * 1000
        log.append((statement, ms, callers.pop(id(cursor), "")))

    app_ = create_app()
    clients: dict[str, TestClient] = {}

    def client(who: str):
        if who not in clients:
            c = TestClient(app_, base_url="http://testserver", follow_redirects=False)
            c.headers["Sec-Fetch-Site"] = "same-origin"
            c.__class__ = type("C", (TestClient,), {"sign_in": run.Client.sign_in})
            c.sign_in(ctx["emails"][who], BENCH_PASSWORD, BENCH_TOTP_SECRET if who == "coordinator" else None)
            clients[who] = c
        return clients[who]

    prof = cProfile.Profile() if args.profile else None
    for s in run.SCENARIOS:
        if args.only and args.only not in s.name:
            continue
        c = client(s.who)
        for i in range(3):  # warm-up
            s.send(c, ctx, 350 + i)
        walls, queries, sql_ms = [], [], []
        if args.cpu:
            import yappi

            yappi.clear_stats()
            yappi.set_clock_type("cpu")
            yappi.start(profile_threads=True)
        for i in range(args.n):
            log.clear()
            if prof:
                prof.enable()
            t0 = time.perf_counter()
            r = s.send(c, ctx, i)
            walls.append((time.perf_counter() - t0) * 1000)
            if prof:
                prof.disable()
            assert r.status_code < 400, (s.name, r.status_code, r.text[:300])
            queries.append(len(log))
            sql_ms.append(sum(ms for _, ms, _where in log))
        print(
            f"{s.name:<34} n {args.n}  median {statistics.median(walls):7.1f} ms  max {max(walls):7.1f}  "
            f"queries {statistics.median(queries):4.0f}  sql {statistics.median(sql_ms):6.1f} ms",
            flush=True,
        )
        if args.cpu:
            yappi.stop()
            stats = yappi.get_func_stats()
            stats.sort("tsub")
            by_module: dict[str, float] = {}
            for f in stats:
                mod = (
                    f.module.split("site-packages/")[-1].split("/")[0]
                    if "site-packages" in f.module
                    else ("app" if "/app/" in f.module else "stdlib/other")
                )
                by_module[mod] = by_module.get(mod, 0.0) + f.tsub
            print(
                "    CPU ms per request by package (self time):",
                ", ".join(
                    f"{k} {v * 1000 / args.n:.1f}" for k, v in sorted(by_module.items(), key=lambda kv: -kv[1])[:12]
                ),
            )
            print(f"    CPU ms per request (self), {args.n} requests:")
            shown = 0
            for f in stats:
                if shown >= 45:
                    break
                if "/testclient" in f.module or "/anyio/" in f.module or "threading" in f.module:
                    continue
                where = f.module.split("site-packages/")[-1][-50:]
                print(f"    {f.tsub * 1000 / args.n:7.2f} {f.ttot * 1000 / args.n:7.2f}  {f.name[:60]:<60} {where}")
                shown += 1
        if args.sql:
            for stmt, ms, where in log:
                print(f"    {ms:6.2f} ms  {' '.join(stmt.split())[:100]}\n               {where}")
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
