"""Turn build/reliability-evidence.json (written by the reliability, secrets and hostile tests) into
the Markdown table between the evidence markers of docs/reliability.md.

    python tests/make_reliability_table.py [--evidence FILE] [--doc FILE] [--check]

--check exits 1 (writing nothing) when the document's table differs from the evidence. Run the
whole suite first: a partial run updates only its own rows of the evidence.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- evidence:start -->", "<!-- evidence:end -->"
AREAS = {"fault": "Faults (library)", "cli": "Faults (CLI)", "transport": "Transport",
         "secret": "Secrets", "envelope": "API envelopes", "interrupts": "Interrupts",
         "templates": "Templates", "values": "Values", "hostile": "Hostile input",
         "fuzz": "Fuzzing"}


def _cell(value) -> str:
    if value is None:
        return "n/a"
    if value is True:
        return "**yes**"
    if value is False:
        return "no"
    text = " ".join(str(value).split())
    if len(text) > 160:
        text = text[:157] + "..."
    return text.replace("|", "\\|")


def table(rows: list[dict]) -> str:
    order = list(AREAS)
    rows = sorted(rows, key=lambda r: (order.index(r["area"]) if r["area"] in order else 99,
                                       r["case"]))
    # No date here: the table must come out the same from every run, so that `--check` (run by
    # .ci/run after the whole suite) fails only when behaviour or the cases changed.
    lines = [f"{len(rows)} cases from the last run of the whole suite; "
             f"{sum(r.get('tried', 0) for r in rows):,} inputs tried in all.", "",
             "| Area | Fault or input | Cases tried | What happened | Requests | Duplicated? | Lost? |",
             "|---|---|---:|---|---:|---|---|"]
    for r in rows:
        lines.append("| " + " | ".join([
            AREAS.get(r["area"], r["area"]), _cell(r["case"]), _cell(r.get("tried")),
            _cell(r.get("outcome")), _cell(r.get("requests")), _cell(r.get("duplicated")),
            _cell(r.get("lost")),
        ]) + " |")
    return "\n".join(lines)


def replace_section(doc: str, body: str) -> str:
    if START not in doc or END not in doc or doc.index(START) > doc.index(END):
        raise SystemExit(f"the document has no {START} ... {END} section")
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{body}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--evidence", type=Path, default=ROOT / "build" / "reliability-evidence.json")
    ap.add_argument("--doc", type=Path, default=ROOT / "docs" / "reliability.md")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    try:
        rows = json.loads(args.evidence.read_text(encoding="utf-8"))["rows"]
    except FileNotFoundError:
        print(f"no evidence at {args.evidence}: run the tests first", file=sys.stderr)
        return 1
    doc = args.doc.read_text(encoding="utf-8")
    new = replace_section(doc, table(rows))
    if args.check:
        if new != doc:
            print(f"{args.doc} is out of date with {args.evidence}", file=sys.stderr)
            return 1
        return 0
    args.doc.write_text(new, encoding="utf-8")
    print(f"wrote {len(rows)} evidence rows into {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
