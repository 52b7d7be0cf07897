"""Records for a batch, read one at a time from CSV (header row = names), NDJSON or a JSON array.

A record that cannot be read (a bad NDJSON line, a value that is not an object) is yielded as the
DataError that says why, so the batch reports it ``invalid`` under its index and goes on.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
from collections.abc import Iterator
from typing import IO

from .errors import DataError, ProgrammingError

FORMATS = ("csv", "ndjson", "json")
_BY_SUFFIX = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "json"}


def format_of(name: str, given: str | None) -> str | None:
    """The format from --each-format, else from the file name; None: look at the content."""
    if given:
        return given
    return _BY_SUFFIX.get(os.path.splitext(name)[1].lower())


def read_records(stream: IO[str], fmt: str | None, name: str) -> Iterator[dict | DataError]:
    lines: Iterator[str] = iter(stream)
    if fmt is None:  # stdin or an unknown suffix: the first character tells (no seeking back)
        first = next(lines, "")
        lines = itertools.chain([first], lines)
        start = first.lstrip("\ufeff \t\r\n")[:1]
        fmt = "json" if start == "[" else "ndjson" if start == "{" else "csv"
    if fmt == "csv":
        return _csv(lines, name)
    if fmt == "ndjson":
        return _ndjson(lines, name)
    return _json_array("".join(lines), name)


def _csv(lines, name: str) -> Iterator[dict | DataError]:
    reader = csv.reader(lines)
    header = next(reader, None)
    if not header:
        raise ProgrammingError(f"{name}: the CSV file is empty; its first row must name the "
                               "fields (e.g. meeting_id,name)")
    header = [h.strip().removeprefix("\ufeff") for h in header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes or not all(header):
        raise ProgrammingError(f"{name}: the CSV header must name each column once "
                               f"({'repeated: ' + ', '.join(dupes) if dupes else 'a name is empty'})")
    for row in reader:
        if not row:
            continue  # a blank line is no record
        if len(row) != len(header):
            yield DataError(f"line {reader.line_num} of {name} has {len(row)} field(s); the "
                            f"header names {len(header)} ({', '.join(header)})")
            continue
        yield dict(zip(header, row))


def _ndjson(lines, name: str) -> Iterator[dict | DataError]:
    for number, line in enumerate(lines, 1):
        line = line.removeprefix("\ufeff") if number == 1 else line
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            yield DataError(f"line {number} of {name} is not valid JSON: {e.msg} at column "
                            f"{e.colno}")
            continue
        yield value if isinstance(value, dict) else _not_object(value, f"line {number} of {name}")


def _json_array(text: str, name: str) -> Iterator[dict | DataError]:
    # a JSON array is read whole; NDJSON or CSV stream records of any number
    try:
        data = json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as e:
        raise ProgrammingError(f"{name} is not valid JSON: {e.msg} at line {e.lineno} column "
                               f"{e.colno}") from None
    if not isinstance(data, list):
        raise ProgrammingError(f"{name} must hold a JSON array of objects (or one object per "
                               "line: NDJSON)")
    for i, value in enumerate(data, 1):
        yield value if isinstance(value, dict) else _not_object(value, f"item {i} of {name}")


def _not_object(value, where: str) -> DataError:
    return DataError(f"{where} is {type(value).__name__} {json.dumps(value)[:40]}; each record "
                     "must be a JSON object of field names to values")
