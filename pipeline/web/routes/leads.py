"""The leads page: dealers and purchasers by trafficking score with their evidence, short time-to-crime traces,
multiple-sale reports and US source states, each a sortable table of its own with its own pages.

Every table is the answer of the results API's own leads route (pipeline/api/routes/leads.py), called with the
signed-in caller: the same queries over the same scope (`Scope.of(conn, caller)`), the same pure ranking
(pipeline/rules/leads.py), purchasers by pseudonym and their records id for investigators only, never a name.
Sorting and paging are plain links (the query string keeps each table's state), so no script is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pipeline.api.deps import Connection
from pipeline.api.routes import leads as api_leads
from pipeline.api.routes.leads import MultipleSaleSort, Offset, ScoreSort, ShortTtcSort, SourceStateSort
from pipeline.rules.access import may_read_traces
from pipeline.vocab import load_vocabulary
from pipeline.web.pages import current_session, page_lang, render, require, with_query

router = APIRouter(prefix="/app", include_in_schema=False)
PAGE = 20  # rows per table and page
SHOWN_IDS = 8  # trace links shown per row (the counts beside them are complete)
PURCHASER_MIN_TRACES = 2  # as the API's default: a buyer on one trace is no lead
# table -> (its anchor, sort parameter, offset parameter or None, {sort name: highest first on a first click})
TABLES: dict[str, tuple[str, str, str | None, dict[str, bool]]] = {
    "dealers": ("dealers", "dealer_sort", "dealer_offset",
                {"score": True, "traces": True, "short_ttc_traces": True, "median_ttc_days": False,
                 "multiple_sale_reports": True}),
    "purchasers": ("purchasers", "purchaser_sort", "purchaser_offset",
                   {"score": True, "traces": True, "short_ttc_traces": True, "median_ttc_days": False,
                    "multiple_sale_reports": True}),
    "short_ttc": ("short-ttc", "short_sort", "short_offset", {"time_to_crime_days": False, "recovery_date": True}),
    "sales": ("multiple-sales", "sales_sort", "sales_offset", {"report_date": True, "visible_guns": True}),
    "states": ("source-states", "state_sort", None, {"source_state": False, "traces": True, "short_ttc_traces": True}),
}


@dataclass(frozen=True)
class SortLink:
    """A column header's link: where it leads and how the table is sorted by that column now (aria-sort)."""

    href: str
    state: str | None  # "ascending", "descending", or None when the table is sorted by another column


@dataclass(frozen=True)
class Pager:
    """Which rows of a table are on screen, and the links to the pages before and after."""

    first: int
    last: int
    total: int
    previous: str | None
    next: str | None


def _sort_links(request: Request, table: str, current: str) -> dict[str, SortLink]:
    anchor, param, offset_param, columns = TABLES[table]
    name, descending = current.lstrip("-"), current.startswith("-")
    links = {}
    for column, highest_first in columns.items():
        if column == name:
            wanted, state = (column if descending else f"-{column}"), ("descending" if descending else "ascending")
        else:
            wanted, state = (f"-{column}" if highest_first else column), None
        changes: dict[str, Any] = {param: wanted}
        if offset_param:
            changes[offset_param] = None  # a new order starts at its first page
        links[column] = SortLink(with_query(request, **changes) + f"#{anchor}", state)
    return links


def _pager(request: Request, table: str, offset: int, shown: int, total: int) -> Pager:
    anchor, _, offset_param, _ = TABLES[table]
    assert offset_param is not None  # noqa: S101 - only paged tables have a pager
    previous = next_ = None
    if offset > 0:
        back = max(0, offset - PAGE)
        previous = with_query(request, **{offset_param: back or None}) + f"#{anchor}"
    if offset + shown < total:
        next_ = with_query(request, **{offset_param: offset + PAGE}) + f"#{anchor}"
    return Pager(offset + 1 if shown else 0, offset + shown, total, previous, next_)


@router.get("/leads")
def leads_view(request: Request, conn: Connection, dealer_sort: ScoreSort = "-score", dealer_offset: Offset = 0,
               purchaser_sort: ScoreSort = "-score", purchaser_offset: Offset = 0,
               short_sort: ShortTtcSort = "time_to_crime_days", short_offset: Offset = 0,
               sales_sort: MultipleSaleSort = "-report_date", sales_offset: Offset = 0,
               state_sort: SourceStateSort = "-traces") -> Response:
    """The caller's leads, exactly as GET /v1/leads/… answers them for the same account."""
    session = current_session(request, conn)
    require(session, may_read_traces)
    lang, who = page_lang(request), session.caller
    dealers = api_leads.dealer_leads(who, conn, sort=dealer_sort, min_traces=1, limit=PAGE, offset=dealer_offset)
    purchasers = api_leads.purchaser_leads(request, who, conn, sort=purchaser_sort,
                                           min_traces=PURCHASER_MIN_TRACES, limit=PAGE, offset=purchaser_offset)
    short_ttc = api_leads.short_ttc_leads(request, who, conn, sort=short_sort, limit=PAGE, offset=short_offset)
    sales = api_leads.multiple_sale_leads(request, who, conn, form=None, sort=sales_sort, limit=PAGE,
                                          offset=sales_offset)
    states = api_leads.source_state_leads(who, conn, sort=state_sort)
    sorts = {"dealers": dealer_sort, "purchasers": purchaser_sort, "short_ttc": short_sort, "sales": sales_sort,
             "states": state_sort}
    pagers = {"dealers": _pager(request, "dealers", dealer_offset, len(dealers.items), dealers.total),
              "purchasers": _pager(request, "purchasers", purchaser_offset, len(purchasers.items), purchasers.total),
              "short_ttc": _pager(request, "short_ttc", short_offset, len(short_ttc.items), short_ttc.total),
              "sales": _pager(request, "sales", sales_offset, len(sales.items), sales.total)}
    return render(request, "leads.html", lang, session, dealers=dealers, purchasers=purchasers, short_ttc=short_ttc,
                  sales=sales, states=states, pagers=pagers, shown_ids=SHOWN_IDS,
                  purchaser_min=PURCHASER_MIN_TRACES,
                  sort={table: _sort_links(request, table, current) for table, current in sorts.items()},
                  state_names={s.code: s.name for s in load_vocabulary().states})
