"""Where httpql's per-statement time goes, stage by stage, without a profiler's distortion.

Times each stage of ``Connection.execute()`` for the stop statement of bench/statements.py on
its own, in a tight loop, each statement with its own meeting id:

  parse    httpql.sql.parse.parse_script(sql)          (shape cache warm, as in a long script)
  plan     conn.planner.plan(stmt)                      (bind, type checks, URL building)
  headers  req.headers() + req.content                  (the header dict and the body bytes)
  send     conn._client().send(req, token)              (retry wrapper + httpx stream + decode)
  execute  conn.execute(sql)                            (everything, as statements.py times it)
  httpx    httpx.Client.post(url) + status check        (the baseline of statements.py)
  stream   httpx.Client.stream(...) + iter_bytes        (httpx the way HttpClient uses it)
  inline   parse -> plan -> send by hand, one statement at a time, each stage timed on its own
           ("inline parse", "inline plan", "inline send"): the same code as above, run between
           network round trips, where it is markedly slower than in a tight loop (colder caches)

``send``, ``execute``, ``httpx`` and ``stream`` go to the in-process emulator and stop a fresh
livestream each time; the others do no I/O. Medians over rounds, in µs per statement.
These use private names (conn.planner, conn._client()) on purpose: they are a diagnosis aid, so
update them if those internals move.

    python bench/breakdown.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx

import httpql
from httpql.emulator import Emulator
from httpql.sql.parse import parse_script

sys.path.insert(0, str(Path(__file__).resolve().parent))
from statements import meeting_url, start_livestreams, stop_sql  # noqa: E402


def per_item(fn, items) -> float:
    started = time.perf_counter()
    for item in items:
        fn(item)
    return (time.perf_counter() - started) / len(items) * 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=None, help="statements per stage per round (default 500)")
    ap.add_argument("--rounds", type=int, default=None, help="rounds (default 5)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 rounds x 50")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    n = args.n if args.n is not None else (50 if args.quick else 500)
    rounds = args.rounds if args.rounds is not None else (2 if args.quick else 5)

    network_stages = ("send", "execute", "httpx", "stream", "inline")
    meetings = [str(uuid.uuid4()) for _ in range((rounds + 1) * n * len(network_stages))]
    samples: dict[str, list[float]] = {}
    with Emulator() as emu:
        start_livestreams(emu, meetings)
        pool = iter(meetings)
        headers = {"Authorization": f"Bearer {emu.token}", "Accept": "application/json"}
        with httpql.connect(base_url=emu.base_url, token=emu.token) as conn, \
                httpx.Client(headers=headers) as client:
            token = conn._token
            http = conn._client()

            def stream(url):
                with client.stream("POST", url) as r:
                    b"".join(r.iter_bytes())
                    if r.status_code != 200:
                        raise SystemExit(f"stream: {r.status_code}")

            def post(url):
                r = client.post(url)
                if r.status_code != 200:
                    raise SystemExit(f"httpx: {r.status_code}")

            def headers_and_content(req):
                req.headers()
                req.content  # noqa: B018 - the property does the work

            for r in range(rounds + 1):  # round 0 is a warm-up, not kept
                def fresh(k=n):
                    return [next(pool) for _ in range(k)]

                offline = [stop_sql(str(uuid.uuid4())) for _ in range(n)]
                stmts = [parse_script(s)[0] for s in offline]
                reqs = [conn.planner.plan(s).requests[0] for s in stmts]
                row = {
                    "parse": per_item(parse_script, offline),
                    "plan": per_item(conn.planner.plan, stmts),
                    "headers": per_item(headers_and_content, reqs),
                }
                send_reqs = [conn.planner.plan(parse_script(stop_sql(m))[0]).requests[0]
                             for m in fresh()]
                row["send"] = per_item(lambda q: http.send(q, token), send_reqs)
                row["execute"] = per_item(conn.execute, [stop_sql(m) for m in fresh()])
                row["httpx"] = per_item(post, [meeting_url(emu.base_url, m, "active-livestream/stop")
                                               for m in fresh()])
                row["stream"] = per_item(stream, [meeting_url(emu.base_url, m,
                                                              "active-livestream/stop")
                                                  for m in fresh()])
                pc = time.perf_counter
                t_parse = t_plan = t_send = 0.0
                inline = [stop_sql(m) for m in fresh()]
                for sql in inline:
                    a = pc()
                    stmt = parse_script(sql)[0]
                    b = pc()
                    req = conn.planner.plan(stmt).requests[0]
                    c = pc()
                    http.send(req, token)
                    d = pc()
                    t_parse, t_plan, t_send = t_parse + b - a, t_plan + c - b, t_send + d - c
                row["inline parse"] = t_parse / len(inline) * 1e6
                row["inline plan"] = t_plan / len(inline) * 1e6
                row["inline send"] = t_send / len(inline) * 1e6
                if r:
                    for k, v in row.items():
                        samples.setdefault(k, []).append(v)

    med = {k: round(statistics.median(v), 1) for k, v in samples.items()}
    med["execute - httpx"] = round(med["execute"] - med["httpx"], 1)
    med["send - httpx"] = round(med["send"] - med["httpx"], 1)
    med["stream - httpx"] = round(med["stream"] - med["httpx"], 1)
    med["execute - inline (parse+plan+send)"] = round(
        med["execute"] - med["inline parse"] - med["inline plan"] - med["inline send"], 1)
    if args.json:
        print(json.dumps({"benchmark": "breakdown", "n": n, "rounds": rounds, "median_us": med,
                          "samples_us": samples}, indent=2))
        return 0
    print(f"{rounds} rounds x {n} statements per stage; median µs per statement")
    for k, v in med.items():
        print(f"  {k:<36} {v:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
