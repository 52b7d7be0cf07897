"""One statement from the command line versus the same request from a bare httpx script.

An emulator runs in its own process (``httpql emulator --port 0``), as a real API would. Each
run is a fresh process:

    httpql exec -o json "INSERT INTO cloudflare.realtime_kit.livestreams (name, account_id, app_id)
                         SELECT 'bench', 'demo-account', 'demo-app' RETURNING data.id"
    python -c "import httpx; <the same POST>; print the new livestream's id"

Both print the id the emulator answered. Alternating runs; prints the medians, their ratio and
PASS/MISS against the target (ratio <= 1.5, issue #8). Exit code 0 either way.

    python bench/oneshot.py            # 21 timed runs of each after 2 warm-ups
    python bench/oneshot.py --quick    # 5 runs after 1 warm-up
    python bench/oneshot.py --json
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time

from startup import environment, httpql_command

TARGET = 1.5
SQL = ("INSERT INTO cloudflare.realtime_kit.livestreams (name, account_id, app_id) "
       "SELECT 'bench', 'demo-account', 'demo-app' RETURNING data.id")
BASELINE = """
import sys, httpx
url, token = sys.argv[1], sys.argv[2]
r = httpx.post(url + "/accounts/demo-account/realtime/kit/demo-app/livestreams",
               json={"name": "bench"},
               headers={"Authorization": "Bearer " + token, "Accept": "application/json"})
r.raise_for_status()
print(r.json()["data"]["id"])
"""


def start_emulator() -> tuple[subprocess.Popen, str, str]:
    proc = subprocess.Popen([sys.executable, "-m", "httpql", "emulator", "--port", "0"],
                            stdout=subprocess.PIPE, text=True, env=environment())
    line = proc.stdout.readline()
    m = re.search(r"listening on (\S+) \(token: ([^,]+),", line)
    if not m:
        proc.kill()
        sys.exit(f"the emulator did not start: {line!r}")
    return proc, m.group(1), m.group(2)


def run(cmd: list[str], env: dict) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{cmd[:3]} failed ({proc.returncode}): {proc.stderr}")
    return elapsed, proc.stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--warmup", type=int, default=None)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    runs = args.runs if args.runs is not None else (5 if args.quick else 21)
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 2)
    emulator, base_url, token = start_emulator()
    try:
        env = {**environment(), "CLOUDFLARE_BASE_URL": base_url, "CLOUDFLARE_API_TOKEN": token}
        cmd, how = httpql_command()
        hq_cmd = cmd + ["exec", "-o", "json", SQL]
        base_cmd = [sys.executable, "-c", BASELINE, base_url, token]
        for _ in range(max(warmup, 1)):
            out = json.loads(run(hq_cmd, env)[1])
            assert out and out[0]["data.id"], out
            assert run(base_cmd, env)[1].strip()
        hq, base = [], []
        for i in range(runs):
            order = ((hq_cmd, hq), (base_cmd, base))
            for c, out in (order if i % 2 == 0 else order[::-1]):
                out.append(run(c, env)[0])
    finally:
        emulator.terminate()
        emulator.wait()
    hq_med, base_med = statistics.median(hq), statistics.median(base)
    ratio = hq_med / base_med
    result = {"benchmark": "oneshot", "python": sys.version.split()[0], "httpql_command": how,
              "sql": SQL, "runs": runs, "httpql_median_ms": round(hq_med * 1000, 2),
              "baseline_median_ms": round(base_med * 1000, 2), "ratio": round(ratio, 3),
              "target": TARGET, "pass": ratio <= TARGET}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"httpql:   {how} exec -o json {SQL!r}")
    print("baseline: the same POST from a python -c script with bare httpx")
    print(f"{runs} timed runs of each after {warmup} warm-up(s), alternating")
    print(f"  httpql    median {result['httpql_median_ms']:8.1f} ms")
    print(f"  baseline  median {result['baseline_median_ms']:8.1f} ms")
    print(f"  ratio: {ratio:.2f}  {'PASS' if result['pass'] else 'MISS'}: target <= {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
