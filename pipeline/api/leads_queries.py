"""The leads' SQL: every figure is computed over the caller's visible traces only, never over the whole table.

Each query starts from the CTE `visible`, the traces `Scope.traces` gives the caller (a confirmed duplicate
counted once, as its surviving trace), and everything else (counts, medians, multiple-sale reports, agencies)
is joined to or aggregated from it, so a trace outside the scope can be neither listed nor counted. Recovering
agencies are counted only among the agencies the caller may see. Every value is a parameter; the only text
spliced into SQL is this module's constants and the scope's own fragments. Lists of ids are cut to the first
MAX_EVIDENCE_IDS in id order (the counts are not).
"""

from __future__ import annotations

from typing import Any, Literal

from pipeline.api.scope import Scope
from pipeline.rules.leads import SHORT_TIME_TO_CRIME_DAYS, Evidence, Lead, rank

MAX_EVIDENCE_IDS = 100
Party = Literal["purchaser", "dealer"]
# party -> (the traces column that names it, the column of its counterpart)
PARTIES: dict[str, tuple[str, str]] = {
    "purchaser": ("purchaser_id", "dealer_license"),
    "dealer": ("dealer_license", "purchaser_id"),
}
VISIBLE_COLUMNS = ("trace_id", "firearm_key", "purchaser_id", "dealer_license", "time_to_crime_days", "state_code",
                   "source_state", "recovery_date", "first_sale_date", "maker", "model", "caliber", "agencies")
# API sort names -> ORDER BY expressions over a `result` CTE (ties are always broken by the id, ascending)
SHORT_TTC_ORDER = {
    "time_to_crime_days": "time_to_crime_days {direction}, trace_id",
    "recovery_date": "recovery_date {direction} NULLS LAST, trace_id",
}
MULTIPLE_SALE_ORDER = {
    "report_date": "report_date {direction}, report_id",
    "visible_guns": "visible_guns {direction}, report_id",
}
SOURCE_STATE_ORDER = {
    "traces": "traces {direction}, source_state",
    "short_ttc_traces": "short_ttc_traces {direction}, source_state",
    "source_state": "source_state {direction}",
}


def _visible(scope: Scope) -> tuple[str, dict[str, Any]]:
    """The `visible` CTE (the caller's traces, a merged pair of confirmed duplicates as one: `Scope.traces`) and
    the parameters every lead query shares."""
    source, params = scope.traces("t")
    columns = ", ".join(f"t.{c}" for c in VISIBLE_COLUMNS)
    params.update(short=SHORT_TIME_TO_CRIME_DAYS, max_ids=MAX_EVIDENCE_IDS)
    return f"visible AS (SELECT {columns} FROM {source})", params  # noqa: S608 - constants only


def _agency_visible(scope: Scope, params: dict[str, Any], expression: str) -> str:
    """A condition keeping the agencies (in `expression`) the caller may see."""
    if scope.agencies is None:
        return "TRUE"
    params["lead_agencies"] = sorted(scope.agencies)
    return f"{expression} = ANY (%(lead_agencies)s::text[])"


def _rows(cur: Any) -> list[dict[str, Any]]:
    names = [column[0] for column in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _page(conn: Any, with_sql: str, params: dict[str, Any], order: str, limit: int,
          offset: int) -> tuple[list[dict[str, Any]], int]:
    """One page of the CTE `result` defined by `with_sql` (WITH ..., result AS (...)) and its row count."""
    with conn.cursor() as cur:
        cur.execute(f"{with_sql} SELECT count(*) FROM result", params)  # noqa: S608 - constants only
        total = int(cur.fetchone()[0])
        cur.execute(f"{with_sql} SELECT * FROM result ORDER BY {order} "  # noqa: S608 - constants only
                    "LIMIT %(limit)s OFFSET %(offset)s", {**params, "limit": limit, "offset": offset})
        return _rows(cur), total


def _direction(descending: bool) -> str:
    return "DESC" if descending else "ASC"


def party_evidence(conn: Any, scope: Scope, party: Party, min_traces: int) -> list[dict[str, Any]]:
    """Per purchaser or dealer on at least `min_traces` visible traces: the evidence the score is made of.

    Rows: party, traces, short_ttc_traces, median_ttc_days, recovery_states, partners (distinct dealers of
    a purchaser, purchasers of a dealer), trace_ids, agencies, multiple_sale_reports,
    multiple_sale_report_ids, and for dealers the licensee's name, us_state, city and status.
    """
    key, partner = PARTIES[party]
    visible, params = _visible(scope)
    params["min_traces"] = min_traces
    agency_ok = _agency_visible(scope, params, "a.agency")
    licensee = ("l.name, l.us_state, l.city, l.status",
                "LEFT JOIN licensees l ON l.license = g.party") if party == "dealer" else ("", "")
    query = (
        f"WITH {visible}, "  # noqa: S608 - constants only
        "grouped AS ("
        f" SELECT v.{key} AS party, count(*) AS traces,"
        " count(*) FILTER (WHERE v.time_to_crime_days < %(short)s) AS short_ttc_traces,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY v.time_to_crime_days) AS median_ttc_days,"
        " count(DISTINCT v.state_code) AS recovery_states,"
        f" count(DISTINCT v.{partner}) AS partners,"
        " (array_agg(v.trace_id ORDER BY v.trace_id))[1:%(max_ids)s] AS trace_ids"
        f" FROM visible v WHERE v.{key} IS NOT NULL"
        f" GROUP BY v.{key} HAVING count(*) >= %(min_traces)s), "
        "agencies AS ("
        f" SELECT v.{key} AS party, count(DISTINCT a.agency) AS agencies"
        " FROM visible v CROSS JOIN LATERAL unnest(v.agencies) AS a(agency)"
        f" WHERE v.{key} IN (SELECT party FROM grouped) AND {agency_ok}"
        f" GROUP BY v.{key}), "
        "reports AS ("
        f" SELECT v.{key} AS party, count(DISTINCT m.report_id) AS multiple_sale_reports,"
        " (array_agg(DISTINCT m.report_id ORDER BY m.report_id))[1:%(max_ids)s] AS multiple_sale_report_ids"
        " FROM visible v JOIN multiple_sales m ON m.firearm_keys @> ARRAY[v.firearm_key]"
        f" WHERE v.{key} IN (SELECT party FROM grouped)"
        f" GROUP BY v.{key}) "
        "SELECT g.party, g.traces, g.short_ttc_traces, g.median_ttc_days, g.recovery_states, g.partners,"
        " g.trace_ids, coalesce(a.agencies, 0) AS agencies,"
        " coalesce(r.multiple_sale_reports, 0) AS multiple_sale_reports,"
        " coalesce(r.multiple_sale_report_ids, ARRAY[]::text[]) AS multiple_sale_report_ids"
        f"{', ' + licensee[0] if licensee[0] else ''}"
        " FROM grouped g LEFT JOIN agencies a USING (party) LEFT JOIN reports r USING (party)"
        f" {licensee[1]} ORDER BY g.party"
    )
    with conn.cursor() as cur:
        cur.execute(query, params)
        return _rows(cur)


def short_ttc_traces(conn: Any, scope: Scope, sort: str, descending: bool, limit: int,
                     offset: int) -> tuple[list[dict[str, Any]], int]:
    """Visible traces with time to crime under SHORT_TIME_TO_CRIME_DAYS, one page, and how many there are."""
    visible, params = _visible(scope)
    with_sql = (f"WITH {visible}, result AS ("  # noqa: S608 - constants only
                "SELECT trace_id, time_to_crime_days, recovery_date, first_sale_date, state_code, source_state,"
                " dealer_license, maker, model, caliber, purchaser_id FROM visible"
                " WHERE time_to_crime_days < %(short)s)")
    return _page(conn, with_sql, params, SHORT_TTC_ORDER[sort].format(direction=_direction(descending)), limit,
                 offset)


def short_ttc_dealers(conn: Any, scope: Scope, min_traces: int, limit: int,
                      offset: int) -> tuple[list[dict[str, Any]], int]:
    """Dealers on at least `min_traces` visible short time-to-crime traces, most first, with the licensee's data."""
    visible, params = _visible(scope)
    params["min_traces"] = min_traces
    with_sql = (
        f"WITH {visible}, result AS ("  # noqa: S608 - constants only
        "SELECT v.dealer_license, l.name, l.us_state, l.city, count(*) AS short_ttc_traces,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY v.time_to_crime_days) AS median_ttc_days,"
        " (array_agg(v.trace_id ORDER BY v.trace_id))[1:%(max_ids)s] AS trace_ids"
        " FROM visible v LEFT JOIN licensees l ON l.license = v.dealer_license"
        " WHERE v.dealer_license IS NOT NULL AND v.time_to_crime_days < %(short)s"
        " GROUP BY v.dealer_license, l.license HAVING count(*) >= %(min_traces)s)"
    )
    return _page(conn, with_sql, params, "short_ttc_traces DESC, dealer_license", limit, offset)


def multiple_sales(conn: Any, scope: Scope, form: str | None, sort: str, descending: bool, limit: int,
                   offset: int) -> tuple[list[dict[str, Any]], int]:
    """Multiple-sale reports holding a visible trace's gun: only those guns are counted (`visible_guns`) and
    only their traces listed; the report's other guns are never named."""
    visible, params = _visible(scope)
    form_clause = "TRUE"
    if form is not None:
        form_clause, params["form"] = "m.form = %(form)s", form
    with_sql = (
        f"WITH {visible}, result AS ("  # noqa: S608 - constants only
        "SELECT m.report_id, m.form, m.report_date, m.dealer_license, l.name AS dealer_name, m.purchaser_id,"
        " count(DISTINCT v.firearm_key) AS visible_guns,"
        " (array_agg(DISTINCT v.trace_id ORDER BY v.trace_id))[1:%(max_ids)s] AS trace_ids"
        " FROM multiple_sales m JOIN visible v ON m.firearm_keys @> ARRAY[v.firearm_key]"
        " LEFT JOIN licensees l ON l.license = m.dealer_license"
        f" WHERE {form_clause} GROUP BY m.report_id, l.license)"
    )
    return _page(conn, with_sql, params, MULTIPLE_SALE_ORDER[sort].format(direction=_direction(descending)), limit,
                 offset)


def source_states(conn: Any, scope: Scope, sort: str, descending: bool) -> tuple[list[dict[str, Any]], int]:
    """Visible traces per US state of first retail sale (ordered), and how many visible traces have none."""
    visible, params = _visible(scope)
    query = (
        f"WITH {visible}, result AS ("  # noqa: S608 - constants only
        "SELECT source_state, count(*) AS traces, count(*) FILTER (WHERE time_to_crime_days < %(short)s)"
        " AS short_ttc_traces, (array_agg(trace_id ORDER BY trace_id))[1:%(max_ids)s] AS trace_ids"
        " FROM visible GROUP BY source_state) "
        f"SELECT * FROM result ORDER BY {SOURCE_STATE_ORDER[sort].format(direction=_direction(descending))}"
    )
    with conn.cursor() as cur:
        cur.execute(query, params)
        rows = _rows(cur)
    unknown = sum(int(row["traces"]) for row in rows if row["source_state"] is None)
    return [row for row in rows if row["source_state"] is not None], unknown


def evidence_of(row: dict[str, Any]) -> Evidence:
    """The scoring evidence of one `party_evidence` row."""
    median = row["median_ttc_days"]
    return Evidence(traces=int(row["traces"]), short_ttc_traces=int(row["short_ttc_traces"]),
                    multiple_sale_reports=int(row["multiple_sale_reports"]), agencies=int(row["agencies"]),
                    recovery_states=int(row["recovery_states"]),
                    median_ttc_days=None if median is None else float(median))


def top_dealers(conn: Any, scope: Scope, count: int) -> list[tuple[Lead, dict[str, Any]]]:
    """The `count` dealers with the highest trafficking score in `scope`, with their rows."""
    rows = {row["party"]: row for row in party_evidence(conn, scope, "dealer", 1)}
    ranked = rank((party, evidence_of(row)) for party, row in rows.items())
    return [(lead, rows[lead.lead_id]) for lead in ranked[:count]]
