"""Evidence rows for docs/reliability.md, recorded by the reliability, secrets and hostile tests.

Each test calls ``record(...)`` with what it tried and what really happened (the user-visible
outcome and the requests the emulator received). A module-scoped fixture in each test file calls
``flush()``, which merges the rows into ``build/reliability-evidence.json`` (a row replaces an
earlier one with the same area and case, so re-running a subset keeps the rest).
``tests/make_reliability_table.py`` turns that file into the Markdown table of the docs.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVIDENCE_FILE = ROOT / "build" / "reliability-evidence.json"

# What changes from one run to the next without the behaviour changing: random ids (whole, or cut
# short by a summary) and the emulator's free port. They are written as placeholders so the table
# in docs/reliability.md is the same after every run and CI can compare it exactly.
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{1,4}[0-9a-f-]*", re.IGNORECASE)
_LOOPBACK_PORT = re.compile(r"\b(127\.0\.0\.1|localhost):\d+")


def stable(text: str) -> str:
    """``text`` with run-to-run noise (uuids, loopback ports) replaced by placeholders."""
    return _LOOPBACK_PORT.sub(r"\1:<port>", _UUID.sub("<uuid>", text))


_lock = threading.Lock()
_rows: dict[tuple[str, str], dict] = {}


def record(area: str, case: str, *, outcome: str, tried: int = 1, requests: int | None = None,
           duplicated: bool | None = None, lost: bool | None = None, test: str | None = None) -> None:
    """One row: a fault or hostile input (``case``), how many cases were tried, what the user saw,
    how many requests the emulator received, and whether any operation was duplicated or lost."""
    row = {
        "area": area,
        "case": case,
        "tried": tried,
        "outcome": stable(" ".join(str(outcome).split()))[:240],
        "requests": requests,
        "duplicated": duplicated,
        "lost": lost,
        "test": test or os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0],
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with _lock:
        key = (area, case)
        if key in _rows:  # several runs of one case add up
            prev = _rows[key]
            row["tried"] += prev["tried"]
            if prev["requests"] is not None:
                row["requests"] = max(prev["requests"], requests or 0)
            for flag in ("duplicated", "lost"):
                if prev[flag] is not None:
                    row[flag] = bool(prev[flag] or row[flag])
        _rows[key] = row


def flush() -> None:
    """Merge the rows recorded so far into the evidence file, then forget them."""
    with _lock:
        if not _rows:
            return
        fresh = dict(_rows)
        _rows.clear()
    EVIDENCE_FILE.parent.mkdir(parents=True, exist_ok=True)
    existing: list[dict] = []
    if EVIDENCE_FILE.exists():
        try:
            existing = json.loads(EVIDENCE_FILE.read_text(encoding="utf-8")).get("rows", [])
        except (ValueError, AttributeError):
            existing = []
    merged = {(r["area"], r["case"]): r for r in existing if isinstance(r, dict) and "area" in r}
    merged.update(fresh)
    tmp = EVIDENCE_FILE.with_suffix(".tmp")
    tmp.write_text(json.dumps({"rows": list(merged.values())}, indent=2, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    tmp.replace(EVIDENCE_FILE)
