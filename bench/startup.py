"""Start-up cost of the ``httpql`` command versus ``python -c "import httpx"``.

Runs, each as a fresh process with the interpreter running this script:

    httpql exec -o json "SHOW METHODS IN cloudflare.realtime_kit.livestreams"
    python -c "import httpx"

SHOW is answered from the bundled manifests with no request, so its wall time is pure start-up:
interpreter, imports, manifest loading, parse and output. The baseline is the smallest program
that can send a request at all. The two commands are run alternately, so drift in machine load
hits both alike. Prints the medians (and minima) in ms, their ratio and PASS/MISS against the
target (ratio <= 1.2; <= 1.5 with --synthetic). Exit code 0 either way: this is a measurement,
not a test.

    python bench/startup.py            # 21 timed runs of each after 2 warm-ups
    python bench/startup.py --quick    # 5 runs after 1 warm-up
    python bench/startup.py --json     # one JSON object on stdout
    python bench/startup.py --synthetic 2000   # with a synthetic provider of ~2,000 more methods
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SQL = "SHOW METHODS IN cloudflare.realtime_kit.livestreams"
TARGET = 1.2  # issue #8: start-up must not grow with the provider
SYNTHETIC_TARGET = 1.5  # with ~2,000 more methods


def httpql_command() -> tuple[list[str], str]:
    """The command to run, and how it was found.

    The console script installed next to the interpreter is what users run. When it is a Python
    script (POSIX), it is run as ``sys.executable <script>`` so both sides use exactly the same
    interpreter (a shebang could name another); a native launcher (Windows .exe) is run as is.
    """
    bindir = Path(sys.executable).parent
    for name in ("httpql", "httpql.exe"):
        script = bindir / name
        if script.is_file():
            try:
                with open(script, "rb") as f:
                    head = f.read(2)
            except OSError:
                continue
            if head == b"#!":
                return [sys.executable, str(script)], f"console script {script} (via {sys.executable})"
            return [str(script)], f"console script {script}"
    return [sys.executable, "-m", "httpql"], f"{sys.executable} -m httpql (no console script found)"


def environment() -> dict[str, str]:
    # No provider folders or credentials from the caller's shell: the bundled manifests only.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HTTPQL_", "CLOUDFLARE_"))}
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    compile_httpql()
    return env


def compile_httpql() -> None:
    """Write httpql's bytecode, as `pip install` does for a wheel: an editable install under
    PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module on every run (~25 ms) while
    the baseline's httpx was compiled when it was installed."""
    import compileall

    import httpql

    compileall.compile_dir(str(Path(httpql.__file__).parent), quiet=1)


SHIPPED = Path(__file__).resolve().parent.parent / "provider" / "cloudflare"


def synthetic_provider(folder: Path, methods: int) -> int:
    """A provider 'synthetic' made of copies of the shipped Realtime Kit manifests, one service
    per copy, until it has at least ``methods`` methods (Cloudflare's whole API is ~2,200).
    Returns how many it has."""
    resources = sorted((SHIPPED / "realtime_kit").glob("*.yaml"))
    per_copy = sum(f.read_text().count("\n  sql_verb: ") for f in resources)
    copies = max(1, -(-methods // per_copy))
    root = folder / "synthetic"
    services = []
    for i in range(copies):
        svc = root / f"svc{i:03d}"
        svc.mkdir(parents=True)
        services.append(f"  svc{i:03d}: {{title: Copy {i}}}")
        for f in resources:
            shutil.copy(f, svc / f.name)
    (root / "provider.yaml").write_text(
        "id: synthetic\nbase_url: https://synthetic.example.com\nauth: {type: none}\n"
        "services:\n" + "\n".join(services) + "\n")
    return copies * per_copy


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - started, proc


def check_httpql(proc: subprocess.CompletedProcess) -> None:
    if proc.returncode != 0:
        sys.exit(f"httpql failed (exit {proc.returncode}): {proc.stderr.decode(errors='replace')}")
    rows = json.loads(proc.stdout)
    if not rows or "MethodName" not in rows[0]:
        sys.exit(f"unexpected SHOW METHODS output: {proc.stdout[:200]!r}")


def check_baseline(proc: subprocess.CompletedProcess) -> None:
    if proc.returncode != 0:
        sys.exit(f"baseline failed (exit {proc.returncode}): {proc.stderr.decode(errors='replace')}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=None, help="timed runs of each (default 21)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed runs of each first (default 2)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 5 runs after 1 warm-up")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ap.add_argument("--synthetic", type=int, metavar="N", default=0,
                    help="also load a synthetic provider of at least N methods "
                         "($HTTPQL_PROVIDER_PATH)")
    args = ap.parse_args(argv)
    if args.synthetic:
        with tempfile.TemporaryDirectory(prefix="httpql-bench-") as tmp:
            count = synthetic_provider(Path(tmp), args.synthetic)
            return measure(args, {"HTTPQL_PROVIDER_PATH": tmp}, count)
    return measure(args, {}, 0)


def measure(args, extra_env: dict[str, str], synthetic_methods: int) -> int:
    runs = args.runs if args.runs is not None else (5 if args.quick else 21)
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 2)

    hq_cmd, how = httpql_command()
    hq_cmd = hq_cmd + ["exec", "-o", "json", SQL]
    base_cmd = [sys.executable, "-c", "import httpx"]
    env = {**environment(), **extra_env}

    for _ in range(max(warmup, 1)):  # at least one, to check both commands work
        check_httpql(run_once(hq_cmd, env)[1])
        check_baseline(run_once(base_cmd, env)[1])

    hq, base = [], []
    for i in range(runs):
        # alternate which goes first, so neither always runs right after the other
        order = ((hq_cmd, hq, check_httpql), (base_cmd, base, check_baseline))
        for cmd, out, check in (order if i % 2 == 0 else order[::-1]):
            elapsed, proc = run_once(cmd, env)
            check(proc)
            out.append(elapsed)

    hq_med, base_med = statistics.median(hq), statistics.median(base)
    ratio = hq_med / base_med
    target = SYNTHETIC_TARGET if synthetic_methods else TARGET
    result = {
        "benchmark": "startup",
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "httpql_command": how,
        "sql": SQL,
        "runs": runs,
        "warmup": warmup,
        "httpql_median_ms": round(hq_med * 1000, 2),
        "httpql_min_ms": round(min(hq) * 1000, 2),
        "baseline_median_ms": round(base_med * 1000, 2),
        "baseline_min_ms": round(min(base) * 1000, 2),
        "synthetic_methods": synthetic_methods,
        "ratio": round(ratio, 3),
        "ratio_of_minima": round(min(hq) / min(base), 3),
        "target": target,
        "pass": ratio <= target,
        "httpql_ms": [round(t * 1000, 2) for t in hq],
        "baseline_ms": [round(t * 1000, 2) for t in base],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"python {result['python']} ({sys.executable})")
    print(f"httpql:   {how}")
    print(f"          exec -o json {SQL!r}")
    print(f"baseline: {sys.executable} -c 'import httpx'")
    if synthetic_methods:
        print(f"with a synthetic provider of {synthetic_methods} methods on $HTTPQL_PROVIDER_PATH")
    print(f"{runs} timed runs of each after {warmup} warm-up(s), alternating")
    print(f"  httpql    median {result['httpql_median_ms']:8.1f} ms   min {result['httpql_min_ms']:8.1f} ms")
    print(f"  baseline  median {result['baseline_median_ms']:8.1f} ms   min {result['baseline_min_ms']:8.1f} ms")
    print(f"  ratio (median httpql / median baseline): {ratio:.2f}  "
          f"(of minima: {result['ratio_of_minima']:.2f})")
    verdict = "PASS" if result["pass"] else "MISS"
    print(f"{verdict}: target ratio <= {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
