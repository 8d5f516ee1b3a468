"""Trace routes: search, export, detail, a seizure's status, the possible-duplicate queue."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse

from pipeline.accounts import audit
from pipeline.api.deps import Connection, allowed, lang
from pipeline.api.errors import ApiError
from pipeline.api.models import DuplicateDecision, DuplicateLink, SeizureStatus, TraceDetail, TracePage
from pipeline.api.scope import Scope
from pipeline.api.trace_detail import seizure_status, trace_detail, visible_duplicate_links
from pipeline.api.trace_search import TraceFilters, search_page
from pipeline.rules.access import Caller, Role, may_read_personal_data, may_read_traces, may_submit

router = APIRouter(prefix="/v1", tags=["traces"])
Reader = Annotated[Caller, Depends(allowed(may_read_traces))]
Code = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9 ._/|-]*$")]
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"  # no NUL or other control characters (PostgreSQL refuses NUL outright)
Text = Annotated[str | None, Query(max_length=64, pattern=PRINTABLE)]
Id = Annotated[str, Path(min_length=1, max_length=200, pattern=PRINTABLE)]
SortName = Literal["recovery_date", "-recovery_date", "completed_at", "-completed_at", "time_to_crime_days",
                   "-time_to_crime_days"]
DateFilter = Annotated[date | None, Query(ge=date(1900, 1, 1), le=date(2100, 1, 1))]
Days = Annotated[int | None, Query(ge=0, le=100 * 366)]
Cursor = Annotated[str | None, Query(max_length=400, pattern=r"^[A-Za-z0-9_-]*$")]
EXPORT_BATCH = 500


def filters(
    agency: Code = None, state: Annotated[str | None, Query(pattern=r"^[0-9]{2}$")] = None,
    outcome: Annotated[Literal["COMPLETED", "CLOSED"] | None, Query()] = None, reason: Code = None,
    recovered_from: DateFilter = None, recovered_to: DateFilter = None, maker: Text = None, model: Text = None,
    caliber: Text = None, serial: Annotated[str | None, Query(min_length=1, max_length=40, pattern=PRINTABLE)] = None,
    serial_near: bool = False, ttc_min: Days = None, ttc_max: Days = None, source_state: Code = None,
    dealer: Code = None,
) -> TraceFilters:
    """The search filters of the query string (state: INEGI two-digit code; ttc in days)."""
    return TraceFilters(agency, state, outcome, reason, recovered_from, recovered_to, maker, model, caliber, serial,
                        serial_near, ttc_min, ttc_max, source_state, dealer)


def _pepper(request: Request) -> bytes:
    pepper: bytes = request.app.state.pepper
    return pepper


@router.get("/traces", response_model=TracePage, summary="Search traces")
def search_traces(request: Request, who: Reader, conn: Connection,
                  wanted: Annotated[TraceFilters, Depends(filters)], language: Annotated[str, Depends(lang)],
                  sort: SortName = "-recovery_date", cursor: Cursor = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """Traces the caller may see, newest recovery first by default; keyset pages (`next_cursor`)."""
    scope = Scope.of(conn, who)
    name = sort.lstrip("-")
    items, next_cursor = search_page(conn, wanted, scope, name, sort.startswith("-"), cursor, limit, language,
                                     _pepper(request))
    return {"items": items, "next_cursor": next_cursor}


def export_lines(request: Request, who: Caller, wanted: TraceFilters, fmt: str, language: str) -> Iterator[str]:
    """Pages of the search turned into lines; its own connection, held only while the answer streams."""
    pool = request.app.state.pool
    conn = pool.getconn()
    try:
        with conn:
            scope = Scope.of(conn, who)
            cursor: str | None = None
            header_done = False
            while True:
                items, cursor = search_page(conn, wanted, scope, "recovery_date", True, cursor, EXPORT_BATCH,
                                            language, _pepper(request))
                for item in items:
                    if fmt == "jsonl":
                        yield json.dumps(item, default=str, ensure_ascii=False) + "\n"
                        continue
                    buffer = io.StringIO()
                    writer = csv.DictWriter(buffer, fieldnames=list(item))
                    if not header_done:
                        writer.writeheader()
                        header_done = True
                    writer.writerow({k: "|".join(v) if isinstance(v, list) else v for k, v in item.items()})
                    yield buffer.getvalue()
                if cursor is None:
                    return
    finally:
        pool.putconn(conn)


@router.get("/traces/export", summary="Export a search as CSV or JSON Lines",
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
def export_traces(request: Request, who: Reader, wanted: Annotated[TraceFilters, Depends(filters)],
                  language: Annotated[str, Depends(lang)],
                  format: Literal["csv", "jsonl"] = "csv") -> StreamingResponse:  # noqa: A002 - the query name
    """The whole search, streamed page by page (never held in memory)."""
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    name = f"traces.{format}"
    return StreamingResponse(export_lines(request, who, wanted, format, language), media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/traces/{trace_id}", response_model=TraceDetail, summary="One trace in full")
def get_trace(request: Request, trace_id: Id, who: Reader,
              conn: Connection, language: Annotated[str, Depends(lang)],
              reason: Annotated[str | None, Query(max_length=500, pattern=PRINTABLE)] = None) -> dict[str, Any]:
    """Chain of custody hop by hop, recoveries, linked duplicates, stage timings; an investigator who gives
    a `reason` also gets the purchaser's identity (audited). A confirmed duplicate is one gun: the trace merged
    into another answers the surviving trace's detail with `merged_into`, and the survivor lists the
    recoveries of both and names the other in `merged_from`."""
    purchaser_for = None
    if may_read_personal_data(who.role) and reason is not None:
        if not reason.strip():
            raise ApiError(400, "reason_required")
        purchaser_for = (who, reason.strip())
    return trace_detail(conn, trace_id, Scope.of(conn, who), language, _pepper(request), purchaser_for)


@router.get("/seizures/{event_id}/status", response_model=SeizureStatus, summary="What happened to my seizure")
def get_status(event_id: Id, who: Annotated[Caller, Depends(allowed(may_submit))],
               conn: Connection, language: Annotated[str, Depends(lang)],
               agency: Code = None) -> dict[str, Any]:
    """The status of a seizure the caller's agency submitted (a national analyst may name another agency)."""
    agency_id = who.agency_id
    if agency is not None and agency != who.agency_id:
        if who.role is not Role.NATIONAL_ANALYST:
            raise ApiError(403, "forbidden", role=who.role.value)
        agency_id = agency
    return seizure_status(conn, agency_id, event_id, language)


@router.get("/duplicates", response_model=list[DuplicateLink], summary="The possible-duplicate queue")
def list_duplicates(who: Reader, conn: Connection,
                    status: Literal["PENDING", "CONFIRMED", "REJECTED"] | None = "PENDING",
                    limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    """Pairs of traces the caller may both see, probably one gun entered twice."""
    return visible_duplicate_links(conn, Scope.of(conn, who), status=status, limit=limit)


@router.post("/duplicates/{link_id}", response_model=DuplicateLink, summary="Decide on a possible duplicate")
def decide_duplicate(link_id: Id, body: DuplicateDecision, who: Reader,
                     conn: Connection) -> dict[str, Any]:
    """Confirm (one gun), reject (two guns) or reopen a link; audited, and reversible by another decision.
    Confirmed, the link's two traces are shown as one (its `trace_id`) in search, export, leads and detail to
    every caller who may see both; rejected or reopened, as two again."""
    scope = Scope.of(conn, who)
    links = visible_duplicate_links(conn, scope, link_id=link_id)
    if not links:
        raise ApiError(404, "not_found")
    with conn.cursor() as cur:
        cur.execute("UPDATE possible_duplicates SET status = %s WHERE link_id = %s", (body.decision, link_id))
        audit.record(cur, who.account_id, who.role.value, "duplicate.decided", link_id, None,
                     decision=body.decision, previous=links[0]["status"])
    return {**links[0], "status": body.decision}

