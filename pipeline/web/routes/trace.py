"""A trace's page: the chain of custody as a timeline, recoveries, time to crime, duplicates, stage timings.

An investigator may reveal the purchaser by stating a reason in a form (POST, CSRF-checked, audited).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from pipeline.api.deps import Connection
from pipeline.api.errors import ApiError
from pipeline.api.routes.traces import PRINTABLE
from pipeline.api.scope import Scope
from pipeline.api.trace_detail import trace_detail
from pipeline.rules.access import may_read_personal_data, may_read_traces
from pipeline.web.pages import check_csrf, current_session, page_lang, render, require

router = APIRouter(prefix="/app", include_in_schema=False)
TraceId = Annotated[str, Path(min_length=1, max_length=200, pattern=PRINTABLE)]


def _page(request: Request, conn: object, trace_id: str, reason: str | None = None) -> Response:
    session = current_session(request, conn)
    require(session, may_read_traces)
    lang = page_lang(request)
    purchaser_for = (session.caller, reason) if reason else None
    try:
        trace = trace_detail(conn, trace_id, Scope.of(conn, session.caller), lang, request.app.state.pepper,
                             purchaser_for)
    except ApiError:
        return render(request, "message.html", lang, session, status=404, message_key="page_not_found")
    return render(request, "trace.html", lang, session, trace=trace, reason=reason)


@router.get("/traces/{trace_id}")
def trace_view(request: Request, conn: Connection, trace_id: TraceId) -> Response:
    """The trace, without personal data."""
    return _page(request, conn, trace_id)


@router.post("/traces/{trace_id}/purchaser")
def reveal_purchaser(request: Request, conn: Connection, trace_id: TraceId,
                     reason: Annotated[str, Form(min_length=3, max_length=500, pattern=PRINTABLE)],
                     csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """An investigator's audited read of the first purchaser, with the reason given."""
    session = current_session(request, conn)
    check_csrf(session, csrf)
    require(session, may_read_personal_data)
    return _page(request, conn, trace_id, reason.strip())
