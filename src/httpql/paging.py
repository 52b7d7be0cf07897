"""Fetching a SELECT's rows: every page of a paged listing, up to the page cap.

The provider manifest says how its listings page (``Paging``): which query parameter picks the
page, where a page's items and the counters are. A listing ends at an empty page, when the
counters say the last item was sent (``end_offset >= total_count``), or when a page carries no
counters at all; a LIMIT that no later page can change stops it early. The cap (``page_limit``,
20 pages as in stackql) never truncates silently: the result gets a warning saying how to get
the rest. A 404 reads as "no rows" (a SELECT that finds nothing), with a warning giving the
API's message.
"""

from __future__ import annotations

from .errors import ApiError
from .manifest.model import walk
from .plan import Plan, Request


def fetch(plan: Plan, req: Request, send, page_limit: int, result, so_far: list) -> list[dict]:
    """The rows of ``req`` and its later pages; warnings go on ``result``."""
    from .project import extract

    sel, paging = plan.select, plan.select.paging
    rows: list[dict] = []
    number = paging.first if paging else None
    pages = items = 0
    while True:
        try:
            response = send(req)
        except ApiError as e:
            if e.status != 404:
                raise
            result.warnings.append(f"{req.operation} answered HTTP 404 ({e.api_message}): read "
                                   "as no rows")
            return rows
        result.statuses.append(response.status)
        rows += [_row(item, sel.types) for item in extract(response.body, plan.rows_at)]
        pages += 1
        listed = walk(response.body, paging.items) if paging and paging.items else None
        items += len(listed) if isinstance(listed, list) else 1
        if paging is None or _last_page(response.body, paging):
            return rows
        if sel.early is not None and len(so_far) + len(rows) >= sel.early:
            return rows
        if pages >= page_limit:
            total = _total(response.body, paging)
            of = f" of {total:,}" if total is not None else ""
            result.warnings.append(
                f"{req.operation}: stopped after {pages} pages ({items:,}{of} items fetched); "
                f"the rest was not read: raise --page-limit (page_limit=), set "
                f"{paging.size} for bigger pages, or narrow the query with WHERE")
            return rows
        number += 1
        req = sel.next_page(req, number)


def _row(item, types: dict[str, str]) -> dict:
    """One row; a field answered in another type than declared is normalised where that is
    lossless (a bool documented as a string becomes 'true'), else kept as it came."""
    if not isinstance(item, dict):
        return {"value": item}
    if not types:
        return item
    return {k: normalise(v, types.get(k)) for k, v in item.items()}


def normalise(value, declared: str | None):
    if value is None or declared is None:
        return value
    if declared == "string" and isinstance(value, bool):
        return "true" if value else "false"
    if declared == "string" and isinstance(value, (int, float)):
        return str(value)
    if declared == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if declared == "integer" and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def _counters(body, paging) -> dict | None:
    for path in paging.counters:
        found = walk(body, path)
        if isinstance(found, dict) and "total_count" in found:
            return found
    return None


def _total(body, paging) -> int | None:
    counters = _counters(body, paging)
    total = counters.get("total_count") if counters else None
    return total if isinstance(total, int) else None


def _last_page(body, paging) -> bool:
    items = walk(body, paging.items) if paging.items else None
    if isinstance(items, list) and not items:
        return True
    counters = _counters(body, paging)
    if counters is None:
        return True  # nothing says there is more
    end, total = counters.get("end_offset"), counters.get("total_count")
    if not isinstance(end, int) or not isinstance(total, int):
        return True
    return end >= total
