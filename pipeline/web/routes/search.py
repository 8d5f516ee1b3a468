"""The search page (filters, a page of results, the maps of the search) and its CSV export."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from pipeline.api.deps import Connection
from pipeline.api.routes.traces import Cursor, SortName, export_lines, filters
from pipeline.api.scope import Scope
from pipeline.api.trace_search import TraceFilters, search_counts, search_page
from pipeline.rules.access import may_read_traces
from pipeline.vocab import load_vocabulary
from pipeline.web.maps import mexico_map, usa_map
from pipeline.web.pages import current_session, page_lang, render, require

router = APIRouter(prefix="/app", include_in_schema=False)
PAGE = 25


@router.get("/")
def search_page_view(request: Request, conn: Connection, wanted: Annotated[TraceFilters, Depends(filters)],
                     sort: SortName = "-recovery_date", cursor: Cursor = None,
                     limit: Annotated[int, Query(ge=1, le=200)] = PAGE) -> Response:
    """Traces the caller may see, as the API finds them, with the maps of the same search."""
    session = current_session(request, conn)
    require(session, may_read_traces)
    lang = page_lang(request)
    scope = Scope.of(conn, session.caller)
    items, next_cursor = search_page(conn, wanted, scope, sort.lstrip("-"), sort.startswith("-"), cursor, limit,
                                     lang, request.app.state.pepper)
    counts = search_counts(conn, wanted, scope)
    states = sorted(load_vocabulary().states, key=lambda s: s.name)
    return render(request, "search.html", lang, session, items=items, next_cursor=next_cursor, wanted=wanted,
                  sort=sort, states=states, mexico=mexico_map(counts["state_code"]),
                  usa=usa_map(counts["source_state"]),
                  total_in_maps=sum(counts["state_code"].values()), export_url=_export_url(request))


def _export_url(request: Request) -> str:
    """The export of the search on screen (its filters, not its page or sort)."""
    kept = {k: v for k, v in request.query_params.items() if k not in ("cursor", "sort", "limit") and v}
    return "/app/export.csv" + ("?" + urlencode(kept) if kept else "")


@router.get("/export.csv")
def export_csv(request: Request, conn: Connection, wanted: Annotated[TraceFilters, Depends(filters)]) -> Any:
    """The current search as CSV, streamed (the API's own export)."""
    session = current_session(request, conn)
    require(session, may_read_traces)
    return StreamingResponse(export_lines(request, session.caller, wanted, "csv", page_lang(request)),
                             media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="traces.csv"'})
