"""The possible-duplicate queue: both records of each pair side by side, the differing serial characters marked,
and an analyst's decision (Confirm / Reject / Reopen) as POST forms with the session's CSRF token.

The queue and the decision are the API's own (`visible_duplicate_links`, `decide_duplicate`): only pairs
whose two traces the caller may see, and every decision audited and reversible. A confirmed pair is shown
as one trace everywhere else (pipeline/api/scope.py, the merge rule).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.api.deps import Connection
from pipeline.api.errors import ApiError
from pipeline.api.models import DuplicateDecision
from pipeline.api.routes.traces import PRINTABLE, decide_duplicate
from pipeline.api.scope import Scope
from pipeline.api.trace_detail import linked_traces, visible_duplicate_links
from pipeline.rules.access import may_read_traces
from pipeline.vocab import load_vocabulary
from pipeline.web.pages import check_csrf, current_session, page_lang, render, require
from pipeline.web.serial_diff import side_by_side

router = APIRouter(prefix="/app", include_in_schema=False)
Status = Literal["PENDING", "CONFIRMED", "REJECTED"]
STATUSES: tuple[Status, ...] = ("PENDING", "CONFIRMED", "REJECTED")
SHOWN = 100  # pairs per page: the queue is short (a pair needs a serial one typo away, close in time and place)
LinkId = Annotated[str, Path(min_length=1, max_length=200, pattern=PRINTABLE)]


def _pairs(conn: Any, scope: Scope, status: Status) -> list[dict[str, Any]]:
    """The caller's links of one status, each with both traces as recorded and its serials as marked runs."""
    links = visible_duplicate_links(conn, scope, status=status, limit=SHOWN)
    traces = linked_traces(conn, scope, sorted({t for link in links
                                                for t in (link["trace_id"], link["candidate_trace_id"])}))
    states = {state.code: state.name for state in load_vocabulary().states}
    pairs = []
    for link in links:
        left, right = traces.get(link["trace_id"]), traces.get(link["candidate_trace_id"])
        if left is None or right is None:  # cannot happen (the queue lists pairs the caller sees): skip safely
            continue
        left_serial, right_serial = side_by_side(left["serial"] or link["serial"],
                                                 right["serial"] or link["candidate_serial"])
        sides = [{**left, "runs": left_serial, "state_name": states.get(left["state_code"] or "", "—")},
                 {**right, "runs": right_serial, "state_name": states.get(right["state_code"] or "", "—")}]
        pairs.append({**link, "sides": sides})
    return pairs


@router.get("/duplicates")
def duplicates_page(request: Request, conn: Connection, status: Status = "PENDING",
                    decided: Annotated[str | None, Query(max_length=200, pattern=PRINTABLE)] = None,
                    decision: Status | None = None) -> Response:
    """The queue of one status (to review by default), and what the last decision did."""
    session = current_session(request, conn)
    require(session, may_read_traces)
    lang = page_lang(request)
    scope = Scope.of(conn, session.caller)
    notice = None
    if decided and decision:
        found = visible_duplicate_links(conn, scope, link_id=decided)
        if found:
            notice = {"decision": decision, **found[0]}
    return render(request, "duplicates.html", lang, session, shown=status, statuses=STATUSES,
                  pairs=_pairs(conn, scope, status), notice=notice)


@router.post("/duplicates/{link_id}")
def decide(request: Request, conn: Connection, link_id: LinkId, decision: Annotated[Status, Form()],
           back_to: Annotated[Status, Form()] = "PENDING",
           csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Confirm, reject or reopen a link through the API's own decision (audited), then back to the queue."""
    session = current_session(request, conn)
    check_csrf(session, csrf)
    require(session, may_read_traces)
    try:
        decide_duplicate(link_id, DuplicateDecision(decision=decision), session.caller, conn)
    except ApiError:
        return render(request, "message.html", page_lang(request), session, status=404,
                      message_key="page_not_found")
    query = urlencode({"status": back_to, "decided": link_id, "decision": decision})
    return RedirectResponse(f"/app/duplicates?{query}#decided", status_code=303)
