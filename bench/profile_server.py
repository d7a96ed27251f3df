"""Where a real server spends its CPU on one scenario: `parcours serve` with one worker on make bench's data set,
requests one after another, py-spy sampling the worker, and the app's frames ranked by inclusive share.

    .venv/bin/python bench/profile_server.py search --persons 100000 -n 300
    .venv/bin/python bench/profile_server.py "person page" --callees "page (app/persons/timeline.py"

Unlike bench/profile_requests.py (in-process, a test client), this is the served app (uvicorn, middleware,
thread pool) and py-spy does not slow small functions down as a tracing profiler does. Prints the server's CPU
per request (from /proc), the frames of app/ and templates/ by the share of samples they are in, and with
--callees the app frames called from one frame. py-spy needs the right to trace the worker (root, or
kernel.yama.ptrace_scope = 0). Not a test."""

import argparse
import collections
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import run  # noqa: E402  (bench/run.py: the scenarios, the data set and the sign-in)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", help="part of a scenario's name in bench/run.py")
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("-n", type=int, default=300, help="requests")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--callees", default="", help="also rank what this frame calls")
    ap.add_argument("--libraries", action="store_true", help="also rank where the samples end, by library (self time)")
    args = ap.parse_args()
    from app.bench_data import BENCH_PASSWORD, BENCH_TOTP_SECRET

    run.WORKERS = 1
    ctx = run.prepare(f"{run.PG}/parcours_bench_{args.persons // 1000}k", args.persons)
    run.close_checkins(ctx)
    scenario = next(s for s in run.SCENARIOS if args.scenario in s.name)
    raw = Path(tempfile.mkstemp(suffix=".txt")[1])
    proc = run.start_server(ctx["url"])
    try:
        secret = BENCH_TOTP_SECRET if scenario.who == "coordinator" else None
        client = run.Client(f"http://127.0.0.1:{run.PORT}").sign_in(ctx["emails"][scenario.who], BENCH_PASSWORD, secret)
        for i in range(20):  # warm: imports, caches, the pool
            scenario.send(client, ctx, 10_000 + i)
        worker = (run.children(proc.pid) or [proc.pid])[0]
        spy = subprocess.Popen(  # noqa: S603 (our own tool on our own process)
            # --gil: only the thread holding the GIL, i.e. Python's own CPU (without it a thread waiting for
            # PostgreSQL's answer inside psycopg counts as busy, half the samples of a page).
            [str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(worker), "-r", "100", "-f", "raw"]
            + ["--gil", "-o", str(raw)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.5)
        cpu0, t0 = run.cpu_ms(proc.pid), time.perf_counter()
        for i in range(args.n):
            r = scenario.send(client, ctx, i)
            if r.status_code >= 400:
                raise SystemExit(f"{scenario.name}: HTTP {r.status_code}")
        wall, cpu = time.perf_counter() - t0, run.cpu_ms(proc.pid) - cpu0
        spy.send_signal(2)
        spy.wait(30)
    finally:
        run.stop(proc)
    each = f"{1000 * wall / args.n:.1f} ms each, server CPU {cpu / args.n:.1f} ms each"
    print(f"{scenario.name}: {args.n} requests one after another, {each}")
    inclusive, callees, libraries, total = collections.Counter(), collections.Counter(), collections.Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not any("(app/" in f for f in frames):
            continue
        n = int(count)
        total += n
        libraries[_library(frames[-1])] += n
        for f in set(frames):
            if "(app/" in f or ".html:" in f:
                inclusive[f] += n
        if args.callees:
            at = next((i for i, f in enumerate(frames) if args.callees in f), None)
            if at is not None:
                below = next((f for f in frames[at + 1 :] if "(app/" in f or ".html:" in f), "(its own code)")
                callees[below] += n
    raw.unlink()
    print(f"{total} samples in the app")
    for frame, n in inclusive.most_common(args.top):
        print(f"{100 * n / total:5.1f}%  {frame[:140]}")
    if args.libraries:
        print("--- where the samples end (self time), by library")
        for lib, n in libraries.most_common(args.top):
            print(f"{100 * n / total:5.1f}%  {lib}")
    if args.callees:
        print(f"--- called from {args.callees}")
        for frame, n in callees.most_common(args.top):
            print(f"{100 * n / total:5.1f}%  {frame[:140]}")


def _library(frame: str) -> str:
    """The package of a frame's file (py-spy names files from their package: "sqlalchemy/engine/base.py:1678"),
    the app's module, or the templates."""
    where = frame[frame.rfind("(") + 1 :].rstrip(")")
    if ".html:" in where:
        return "templates"
    if where.startswith("app/"):
        return "app/" + where.split("/")[1].split(":")[0]
    return where.split("/", 1)[0] if "/" in where else "python (standard library, builtins)"


if __name__ == "__main__":
    main()
