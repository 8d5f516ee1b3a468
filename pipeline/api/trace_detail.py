"""One trace in full (chain of custody, recoveries, duplicates, stage timings) and one seizure's status.

A trace the caller may not see is "not found", exactly like one that does not exist, so probing ids
reveals nothing. Purchaser identity is read only through the audited `read_purchasers` function.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.api.errors import ApiError
from pipeline.api.scope import Scope
from pipeline.api.text import say
from pipeline.api.trace_search import SUMMARY_COLUMNS, summary
from pipeline.rules.access import Caller

_PURCHASER_HOP = "PURCHASER"
DUPLICATE_COLUMNS = ("link_id", "trace_id", "candidate_trace_id", "serial", "candidate_serial", "found_at", "status")


def _when(value: Any) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def visible_trace_row(conn: Any, trace_id: str, scope: Scope) -> tuple[Any, ...]:
    """The summary row and hops/stage timings of a visible trace, merged (Scope.traces); ApiError 404 otherwise.

    The id of a trace the caller sees merged into another (a confirmed duplicate) answers the survivor's row.
    """
    source, params = scope.traces("t")
    survivor, more = scope.survivor_of("trace_id")
    columns = ", ".join(f"t.{c}" for c in SUMMARY_COLUMNS)
    with conn.cursor() as cur:
        cur.execute(f"SELECT {columns}, t.hops, t.stage_timings FROM {source} "  # noqa: S608 - constants only
                    f"WHERE t.trace_id = {survivor}", {**params, **more, "trace_id": trace_id})
        row = cur.fetchone()
    if row is None:
        raise ApiError(404, "not_found")
    return tuple(row)


def _hops(raw: list[dict[str, Any]], ref: str | None) -> list[dict[str, Any]]:
    hops = []
    for hop in raw:
        hop = {k: hop.get(k) for k in ("stage", "party_type", "party_id", "party_name", "location", "event_date")}
        if hop["party_type"] == _PURCHASER_HOP:  # the buyer is shown by pseudonym; identity is separate
            hop["party_id"] = hop["party_name"] = ref
        hops.append(hop)
    return hops


def _timings(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for timing in raw:
        entered, left = _when(timing["entered_at"]), _when(timing["left_at"])
        out.append({"stage": timing["stage"], "entered_at": entered, "left_at": left,
                    "seconds": round((left - entered).total_seconds(), 3)})
    return out


def _recoveries(conn: Any, trace_ids: list[str], scope: Scope) -> tuple[list[dict[str, Any]], int]:
    """The visible recoveries of a trace and of the traces merged into it, and how many others there are."""
    names = ("agency_id", "event_id", "trace_id", "recovery_date", "state_code", "municipality",
             "possible_duplicate", "reported_at")
    with conn.cursor() as cur:
        cur.execute(f"SELECT {', '.join(names)} FROM recoveries WHERE trace_id = ANY (%s) "  # noqa: S608
                    "ORDER BY recovery_date, agency_id, event_id", (trace_ids,))
        rows = cur.fetchall()
    shown = [dict(zip(names, row, strict=True)) for row in rows if scope.sees_agency(row[0])]
    return shown, len(rows) - len(shown)


def visible_duplicate_links(conn: Any, scope: Scope, trace_ids: list[str] | None = None, status: str | None = None,
                            link_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Possible-duplicate links whose two traces, as recorded, the caller may both see (some traces' links, or
    the queue); a confirmed link stays listed (and may be reopened) while its traces are shown merged."""
    scope_a, params = scope.trace_clause("a")
    scope_b, _ = scope.trace_clause("b")
    conditions = [scope_a, scope_b]
    if trace_ids is not None:
        conditions.append("(d.trace_id = ANY (%(trace_ids)s) OR d.candidate_trace_id = ANY (%(trace_ids)s))")
        params["trace_ids"] = trace_ids
    if status is not None:
        conditions.append("d.status = %(status)s")
        params["status"] = status
    if link_id is not None:
        conditions.append("d.link_id = %(link_id)s")
        params["link_id"] = link_id
    params["limit"] = limit
    columns = ", ".join(f"d.{c}" for c in DUPLICATE_COLUMNS)
    with conn.cursor() as cur:
        cur.execute(f"SELECT {columns} FROM possible_duplicates d "  # noqa: S608 - constants only
                    "JOIN traces a ON a.trace_id = d.trace_id JOIN traces b ON b.trace_id = d.candidate_trace_id "
                    f"WHERE {' AND '.join(conditions)} ORDER BY d.found_at DESC, d.link_id LIMIT %(limit)s", params)
        return [dict(zip(DUPLICATE_COLUMNS, row, strict=True)) for row in cur.fetchall()]


def linked_traces(conn: Any, scope: Scope, trace_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The two sides of possible-duplicate links as recorded (not merged), visible ones only, by trace id:
    the firearm, the recovery date and state, the visible recovering agencies (for a side-by-side review)."""
    scope_sql, params = scope.trace_clause("t")
    names = ("trace_id", "maker", "model", "caliber", "serial", "firearm_type", "recovery_date", "state_code",
             "agencies", "outcome", "reason")
    with conn.cursor() as cur:
        cur.execute(f"SELECT {', '.join('t.' + n for n in names)} FROM traces t "  # noqa: S608 - constants only
                    f"WHERE t.trace_id = ANY (%(ids)s) AND {scope_sql}", {**params, "ids": trace_ids})
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    for row in rows:
        row["agencies"] = [a for a in row["agencies"] if scope.sees_agency(a)]
    return {row["trace_id"]: row for row in rows}


def read_purchaser(conn: Any, caller: Caller, purchaser_id: str, reason: str) -> dict[str, Any] | None:
    """The purchaser's identity through the audited path (one audit row per read, with the reason)."""
    with conn.cursor() as cur:
        cur.execute("SELECT purchaser_id, full_name, birth_date, address, city, us_state "
                    "FROM read_purchasers(%s::text[], %s, %s, %s)",
                    ([purchaser_id], caller.account_id, caller.role.value, reason))
        row = cur.fetchone()
    names = ("purchaser_id", "full_name", "birth_date", "address", "city", "us_state")
    return None if row is None else dict(zip(names, row, strict=True))


def trace_detail(conn: Any, trace_id: str, scope: Scope, lang: str, pepper: bytes,
                 purchaser_for: tuple[Caller, str] | None = None) -> dict[str, Any]:
    """The whole trace as models.TraceDetail; `purchaser_for` (caller, reason) adds the audited identity.

    A trace merged into another (Scope: a confirmed duplicate the caller sees) answers the survivor's detail
    with `merged_into` set; a survivor lists the recoveries and links of every trace merged into it.
    """
    row = visible_trace_row(conn, trace_id, scope)
    hops_raw, timings_raw = row[-2], row[-1]
    purchaser_id = row[SUMMARY_COLUMNS.index("purchaser_id")]
    detail = summary(row[:-2], scope, lang, pepper)
    group = [detail["trace_id"], *detail["merged_from"]]
    detail["merged_into"] = detail["trace_id"] if detail["trace_id"] != trace_id else None
    detail["hops"] = _hops(hops_raw, detail["purchaser_ref"])
    detail["recoveries"], detail["hidden_recoveries"] = _recoveries(conn, group, scope)
    detail["possible_duplicates"] = visible_duplicate_links(conn, scope, trace_ids=group)
    detail["stage_timings"] = _timings(timings_raw)
    detail["purchaser"] = None
    if purchaser_for is not None and purchaser_id is not None:
        detail["purchaser"] = read_purchaser(conn, purchaser_for[0], purchaser_id, purchaser_for[1])
    return detail


def seizure_status(conn: Any, agency_id: str, event_id: str, lang: str) -> dict[str, Any]:
    """models.SeizureStatus of one seizure of `agency_id`: the furthest point it is known to have reached."""
    base = {"agency_id": agency_id, "event_id": event_id}
    with conn.cursor() as cur:
        cur.execute("SELECT r.trace_id, t.outcome, t.reason, t.completed_at, p.stage, p.at FROM recoveries r "
                    "LEFT JOIN traces t USING (trace_id) LEFT JOIN trace_progress p USING (trace_id) "
                    "WHERE r.agency_id = %s AND r.event_id = %s", (agency_id, event_id))
        sighting = cur.fetchone()
        if sighting is not None:
            trace, outcome, reason, completed_at, stage, at = sighting
            if outcome is not None:
                return {**base, "status": "completed", "trace_id": trace, "outcome": outcome, "reason": reason,
                        "stage": "completed", "at": completed_at}
            return {**base, "status": "in_progress", "trace_id": trace, "stage": stage, "at": at}
        cur.execute("SELECT outcome, reason_code, message_en, message_es, at FROM seizure_outcomes "
                    "WHERE agency_id = %s AND event_id = %s", (agency_id, event_id))
        outcome_row = cur.fetchone()
        if outcome_row is not None:
            kind, code, message_en, message_es, at = outcome_row
            if kind == "DEAD_LETTER":
                return {**base, "status": "dead_lettered", "reason_code": code,
                        "message": message_es if lang == "es" else message_en, "at": at}
            return {**base, "status": "exact_duplicate", "at": at}
        cur.execute("SELECT received_at FROM submissions WHERE agency_id = %s AND event_id = %s",
                    (agency_id, event_id))
        received = cur.fetchone()
    if received is not None:
        return {**base, "status": "received", "message": say("status_received", lang), "at": received[0]}
    raise ApiError(404, "not_found")

