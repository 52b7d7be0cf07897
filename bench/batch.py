"""Batch throughput and --each memory (see bench/README.md).

1. 2,000 INSERTs through cursor.executemany (concurrency 16, rate limit off) vs a bare
   httpx.AsyncClient sending the same 2,000 POSTs with 16 in flight, both against one emulator
   (its own process) that holds every request 50 ms. Target: httpql >= 0.85 of httpx's throughput.
2. Peak RSS of `httpql exec --each` over a 100,000-record CSV with --dry-run -o ndjson.
   Target: under 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ACCOUNT, APP = "demo-account", "demo-app"
TOKEN = "httpql-emulator-token"  # the emulator's public demo token
SQL = ("INSERT INTO cloudflare.realtime_kit.livestreams (name, account_id, app_id) "
       "VALUES (?, ?, ?) RETURNING data.id")


def start_emulator(latency: float, requests: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "httpql", "emulator", "--port", "0",
                             "--fault", f"delay={latency}x{requests}"],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    url = re.search(r"(http://\S+)", line).group(1)
    return proc, url


def run_httpql(url: str, n: int, concurrency: int) -> float:
    import httpql

    with httpql.connect(base_url=url, token=TOKEN, concurrency=concurrency,
                        rate_limit="none") as conn:
        cur = conn.cursor()
        # warm-up, untimed: imports, the parse of this shape, the pool's connections
        cur.executemany(SQL, [[f"w{uuid.uuid4().hex[:12]}", ACCOUNT, APP]
                              for _ in range(concurrency)])
        sets = [[f"b{uuid.uuid4().hex[:12]}", ACCOUNT, APP] for _ in range(n)]
        started = time.perf_counter()
        cur.executemany(SQL, sets)
        elapsed = time.perf_counter() - started
        assert len(cur.fetchall()) == n and all(o.ok for o in cur.outcomes)
    return elapsed


def run_httpx(url: str, n: int, concurrency: int) -> float:
    import httpx

    async def main() -> float:
        target = f"{url}/accounts/{ACCOUNT}/realtime/kit/{APP}/livestreams"
        bodies = [json.dumps({"name": f"b{uuid.uuid4().hex[:12]}"}).encode()
                  for _ in range(n + concurrency)]
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
                   "Accept": "application/json"}
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            sem = asyncio.Semaphore(concurrency)

            async def one(body: bytes) -> None:
                async with sem:
                    r = await client.post(target, content=body, headers=headers)
                    assert r.status_code == 201
                    r.json()

            await asyncio.gather(*(one(b) for b in bodies[:concurrency]))  # warm-up, untimed
            bodies = bodies[concurrency:]

            started = time.perf_counter()
            await asyncio.gather(*(one(b) for b in bodies))
            return time.perf_counter() - started

    return asyncio.run(main())


def throughput(args) -> dict:
    rounds = []
    total = (args.n + args.concurrency) * 2 * args.rounds + 100
    proc, url = start_emulator(args.latency, total)
    try:
        for r in range(args.rounds):
            sides = [("httpql", run_httpql), ("httpx", run_httpx)]
            if r % 2:
                sides.reverse()
            times = {name: fn(url, args.n, args.concurrency) for name, fn in sides}
            rounds.append({k: args.n / v for k, v in times.items()})
            print(f"round {r + 1}: httpql {rounds[-1]['httpql']:.0f} req/s, httpx "
                  f"{rounds[-1]['httpx']:.0f} req/s", file=sys.stderr)
    finally:
        proc.terminate()
        proc.wait()
    ratios = [x["httpql"] / x["httpx"] for x in rounds]
    return {"httpql_rps": statistics.median(x["httpql"] for x in rounds),
            "httpx_rps": statistics.median(x["httpx"] for x in rounds),
            "ratio": statistics.median(ratios), "target": 0.85}


def each_memory(args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "meetings.csv")
        with open(path, "w") as f:
            f.write("meeting_id,name\n")
            for i in range(args.records):
                f.write(f"{uuid.uuid4()},stream-{i}\n")
        script = os.path.join(tmp, "start.sql")
        with open(script, "w") as f:
            f.write("INSERT INTO cloudflare.realtime_kit.livestreams (meeting_id, name, "
                    f"account_id, app_id) SELECT :meeting_id, :name, '{ACCOUNT}', '{APP}';")
        started = time.perf_counter()
        with open(os.devnull, "w") as out:
            subprocess.run([sys.executable, "-m", "httpql", "exec", "--emulator", "-f", script,
                            "--each", path, "--dry-run", "-o", "ndjson"], stdout=out,
                           stderr=subprocess.DEVNULL, check=True)
        elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    return {"records": args.records, "peak_rss_mb": peak_kb / 1024, "seconds": elapsed,
            "target_mb": 200}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--latency", type=float, default=0.05)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.quick:
        args.n, args.rounds, args.records = 200, 1, 2000
    result = {"throughput": throughput(args), "each_memory": each_memory(args)}
    if args.json:
        print(json.dumps(result))
        return
    t, m = result["throughput"], result["each_memory"]
    print(f"executemany {args.n} INSERTs, concurrency {args.concurrency}, {args.latency * 1000:g} "
          f"ms latency: httpql {t['httpql_rps']:.0f} req/s, httpx.AsyncClient "
          f"{t['httpx_rps']:.0f} req/s, ratio {t['ratio']:.3f} "
          f"({'PASS' if t['ratio'] >= 0.85 else 'MISS'} >= 0.85)")
    print(f"--each {m['records']:,} CSV records --dry-run -o ndjson: peak RSS "
          f"{m['peak_rss_mb']:.0f} MB in {m['seconds']:.1f} s "
          f"({'PASS' if m['peak_rss_mb'] < 200 else 'MISS'} < 200 MB)")


if __name__ == "__main__":
    main()
