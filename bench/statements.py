"""Per-statement cost of httpql versus a bare httpx.Client, against the in-process emulator.

Setup (untimed): start an `Emulator()` on a loopback port and start livestreams on fresh meetings
(uuid4) with plain httpx; each timed request stops one of them, so every answer is a real 200.

Each round times, on the same emulator:
  (a) httpql: N statements
        EXEC cloudflare.realtime_kit.livestreams.stop_livestreaming_a_meeting
             @meeting_id='<id>', @account_id='demo-account', @app_id='demo-app'
      through ONE httpql.connect(...) connection's execute(), each with its own meeting id literal;
  (b) httpx: the same N POST .../meetings/<id>/active-livestream/stop requests to N other
      meetings, through one keep-alive httpx.Client with the same headers (Authorization: Bearer,
      Accept: application/json), checking each status is 200.
Within a round the sides take turns every 50 statements (--chunk), and rounds alternate which
side starts, so machine noise and drift land on both. Reported: the per-statement mean of each
side in µs and their ratio (httpql / httpx), medians over rounds, and the per-statement overhead
(difference).
Target: ratio <= 1.25. Exit code 0 either way: this is a measurement, not a test.

    python bench/statements.py                   # 5 rounds x 500 statements per side
    python bench/statements.py --quick           # 2 rounds x 50, a smoke run
    python bench/statements.py --json            # one JSON object on stdout
    python bench/statements.py --profile /tmp/st  # also: one extra, untimed pass of each side
                                                  # under cProfile -> /tmp/st-httpql.prof, -httpx.prof
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import uuid

import httpx

import httpql
from httpql.emulator import DEMO_ACCOUNT_ID, DEMO_APP_ID, Emulator

RESOURCE = "cloudflare.realtime_kit.livestreams"
TARGET = 1.25


def stop_sql(meeting: str) -> str:
    return (f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id='{meeting}', "
            f"@account_id='{DEMO_ACCOUNT_ID}', @app_id='{DEMO_APP_ID}'")


def meeting_url(base_url: str, meeting: str, tail: str) -> str:
    return (f"{base_url}/accounts/{DEMO_ACCOUNT_ID}/realtime/kit/{DEMO_APP_ID}/meetings/"
            f"{meeting}/{tail}")


def start_livestreams(emu: Emulator, meetings: list[str]) -> None:
    headers = {"Authorization": f"Bearer {emu.token}", "Accept": "application/json"}
    with httpx.Client(headers=headers) as client:
        for m in meetings:
            r = client.post(meeting_url(emu.base_url, m, "livestreams"), json={"name": "bench"})
            if r.status_code != 201:
                sys.exit(f"setup: starting a livestream on {m} answered {r.status_code}: {r.text}")


def run_httpql(conn, sqls: list[str]) -> float:
    """Seconds for all statements, through conn.execute()."""
    execute = conn.execute
    started = time.perf_counter()
    for sql in sqls:
        execute(sql)  # raises on any non-2xx answer
    return time.perf_counter() - started


def run_httpx(client: httpx.Client, urls: list[str]) -> float:
    post = client.post
    started = time.perf_counter()
    for url in urls:
        r = post(url)
        if r.status_code != 200:
            raise SystemExit(f"httpx: {url} answered {r.status_code}: {r.text}")
    return time.perf_counter() - started


def check_stopped(emu: Emulator, meetings: list[str]) -> None:
    live = [m for m in meetings if emu.active_livestream(m) is not None]
    if live:
        sys.exit(f"{len(live)} meeting(s) still live after their stop, e.g. {live[0]}")


def profile_sides(conn, client: httpx.Client, sqls: list[str], urls: list[str], prefix: str,
                  top: int) -> list[str]:
    """One extra, untimed pass of each side under cProfile. cProfile sees only this (the main)
    thread, so the emulator's server thread is not in the stats: it is the client side alone."""
    import cProfile
    import io
    import pstats

    written = []
    for side, run, items in (("httpql", run_httpql, sqls), ("httpx", run_httpx, urls)):
        arg = conn if side == "httpql" else client
        prof = cProfile.Profile()
        prof.enable()
        run(arg, items)
        prof.disable()
        path = f"{prefix}-{side}.prof"
        prof.dump_stats(path)
        written.append(path)
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        print(f"===== {side}: {len(items)} statements under cProfile =====", file=buf)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
        print(buf.getvalue(), file=sys.stderr)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=None, help="statements per side per round (default 500)")
    ap.add_argument("--rounds", type=int, default=None, help="rounds (default 5)")
    ap.add_argument("--warmup", type=int, default=None,
                    help="untimed statements per side first (default 20)")
    ap.add_argument("--chunk", type=int, default=50,
                    help="the sides take turns every CHUNK statements within a round (default 50; "
                         "N for one block per side)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 rounds x 50 statements")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ap.add_argument("--profile", metavar="PREFIX",
                    help="after timing, run N more statements per side under cProfile; write "
                         "PREFIX-httpql.prof and PREFIX-httpx.prof and print the top functions "
                         "on stderr")
    ap.add_argument("--profile-top", type=int, default=30, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    n = args.n if args.n is not None else (50 if args.quick else 500)
    rounds = args.rounds if args.rounds is not None else (2 if args.quick else 5)
    warmup = args.warmup if args.warmup is not None else (5 if args.quick else 20)
    chunk = max(1, min(args.chunk, n))

    per_round = 2 * n
    total = 2 * warmup + rounds * per_round + (per_round if args.profile else 0)
    meetings = [str(uuid.uuid4()) for _ in range(total)]

    results = []
    with Emulator() as emu:
        setup_started = time.perf_counter()
        start_livestreams(emu, meetings)
        setup_s = time.perf_counter() - setup_started

        headers = {"Authorization": f"Bearer {emu.token}", "Accept": "application/json"}
        with httpql.connect(base_url=emu.base_url, token=emu.token) as conn, \
                httpx.Client(headers=headers) as client:
            pool = iter(meetings)

            def take(k: int) -> list[str]:
                return [next(pool) for _ in range(k)]

            # Warm-up: the first statement of a shape is parsed by sqlglot, the first request
            # opens the connection and (for httpql) imports httpx; both sides get the same.
            w_hq, w_hx = take(warmup), take(warmup)
            first_hq = run_httpql(conn, [stop_sql(m) for m in w_hq[:1]])
            first_hx = run_httpx(client, [meeting_url(emu.base_url, m, "active-livestream/stop")
                                          for m in w_hx[:1]])
            run_httpql(conn, [stop_sql(m) for m in w_hq[1:]])
            run_httpx(client, [meeting_url(emu.base_url, m, "active-livestream/stop")
                               for m in w_hx[1:]])

            for r in range(rounds):
                hq_meetings, hx_meetings = take(n), take(n)
                sqls = [stop_sql(m) for m in hq_meetings]  # built outside the timed loop
                urls = [meeting_url(emu.base_url, m, "active-livestream/stop") for m in hx_meetings]
                gc.collect()
                # The sides take turns every `chunk` statements, so a burst of machine noise or
                # a drift in CPU speed lands on both rather than on one side's whole round.
                t_hq = t_hx = 0.0
                for k, j in enumerate(range(0, n, chunk)):
                    if (r + k) % 2 == 0:
                        t_hq += run_httpql(conn, sqls[j:j + chunk])
                        t_hx += run_httpx(client, urls[j:j + chunk])
                    else:
                        t_hx += run_httpx(client, urls[j:j + chunk])
                        t_hq += run_httpql(conn, sqls[j:j + chunk])
                check_stopped(emu, hq_meetings + hx_meetings)
                hq_us, hx_us = t_hq / n * 1e6, t_hx / n * 1e6
                results.append({"round": r + 1, "first": "httpql" if r % 2 == 0 else "httpx",
                                "httpql_us": round(hq_us, 1), "httpx_us": round(hx_us, 1),
                                "ratio": round(hq_us / hx_us, 3),
                                "overhead_us": round(hq_us - hx_us, 1)})

            profiles = []
            if args.profile:
                sqls = [stop_sql(m) for m in take(n)]
                urls = [meeting_url(emu.base_url, m, "active-livestream/stop") for m in take(n)]
                profiles = profile_sides(conn, client, sqls, urls, args.profile, args.profile_top)

    hq_med = statistics.median(r["httpql_us"] for r in results)
    hx_med = statistics.median(r["httpx_us"] for r in results)
    ratio = statistics.median(r["ratio"] for r in results)
    overhead = statistics.median(r["overhead_us"] for r in results)
    out = {
        "benchmark": "statements",
        "python": sys.version.split()[0],
        "httpql_version": httpql.__version__,
        "httpx_version": httpx.__version__,
        "statements_per_side_per_round": n,
        "rounds": rounds,
        "warmup_per_side": warmup,
        "chunk": chunk,
        "setup_livestreams": total,
        "setup_s": round(setup_s, 2),
        "first_statement_ms": {"httpql": round(first_hq * 1000, 2),
                               "httpx": round(first_hx * 1000, 2)},
        "httpql_us_median": round(hq_med, 1),
        "httpx_us_median": round(hx_med, 1),
        "ratio_median": round(ratio, 3),
        "overhead_us_median": round(overhead, 1),
        "target": TARGET,
        "pass": ratio <= TARGET,
        "rounds_detail": results,
        "profiles": profiles,
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"python {out['python']}, httpql {out['httpql_version']}, httpx {out['httpx_version']}; "
          f"emulator in-process on loopback")
    print(f"setup: {total} livestreams started in {setup_s:.1f} s (untimed); warm-up {warmup} "
          f"per side (first statement: httpql {first_hq * 1000:.1f} ms, "
          f"httpx {first_hx * 1000:.1f} ms)")
    print(f"{rounds} rounds x {n} statements per side; the sides take turns every {chunk} "
          "statements, alternating which starts")
    print("  round  first    httpql µs   httpx µs   ratio   overhead µs")
    for r in results:
        print(f"  {r['round']:>5}  {r['first']:<7} {r['httpql_us']:>10.1f} {r['httpx_us']:>10.1f}"
              f" {r['ratio']:>7.3f} {r['overhead_us']:>12.1f}")
    print(f"  median         {hq_med:>10.1f} {hx_med:>10.1f} {ratio:>7.3f} {overhead:>12.1f}")
    print(f"per statement: httpql {hq_med:.1f} µs, httpx {hx_med:.1f} µs, "
          f"overhead {overhead:.1f} µs; ratio {ratio:.3f} (median over rounds)")
    if args.profile:
        print(f"profiles of {n} more statements per side: {', '.join(profiles)} "
              "(top functions on stderr)")
    print(f"{'PASS' if out['pass'] else 'MISS'}: target ratio <= {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
