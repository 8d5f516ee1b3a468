"""Leads routes: trafficking indicators computed from the caller's visible traces and the commerce records.

One path per kind of lead, each under `/v1/leads/`. Every figure (counts, medians, scores, lists of trace
ids) is computed only over the traces the caller may see (`Scope`), so a lead never shows or counts a
trace of an agency outside the caller's scope. Purchasers appear by pseudonym (`purchaser_ref`); the
records' `purchaser_id` is added for investigators only, and no lead ever carries a name or an address
(identity is read only through the audited trace detail). Trace ids link to `/v1/traces/{trace_id}`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from pipeline.api import leads_queries
from pipeline.api.deps import Connection, allowed
from pipeline.api.lead_models import (
    DealerLead,
    DealerLeadPage,
    Form,
    LeadEvidence,
    MultipleSaleLead,
    MultipleSalePage,
    PurchaserLead,
    PurchaserLeadPage,
    ScorePart,
    ShortTtcDealer,
    ShortTtcDealerPage,
    ShortTtcPage,
    ShortTtcTrace,
    SourceStateLead,
    SourceStatePage,
)
from pipeline.api.scope import Scope
from pipeline.api.trace_search import purchaser_ref
from pipeline.rules.access import Caller, may_read_personal_data, may_read_traces
from pipeline.rules.leads import SORT_KEYS, Lead, SortKey, rank

router = APIRouter(prefix="/v1", tags=["leads"])
Reader = Annotated[Caller, Depends(allowed(may_read_traces))]

Limit = Annotated[int, Query(ge=1, le=500, description="items per page")]
Offset = Annotated[int, Query(ge=0, le=100_000, description="items to skip (after sorting)")]
MinTraces = Annotated[int, Query(ge=1, le=10_000)]
ScoreSort = Literal["-score", "score", "-traces", "traces", "-short_ttc_traces", "short_ttc_traces",
                    "-multiple_sale_reports", "multiple_sale_reports", "median_ttc_days", "-median_ttc_days"]
ShortTtcSort = Literal["time_to_crime_days", "-time_to_crime_days", "recovery_date", "-recovery_date"]
MultipleSaleSort = Literal["-report_date", "report_date", "-visible_guns", "visible_guns"]
SORT_KEY: dict[str, SortKey] = {key: key for key in SORT_KEYS}  # a ScoreSort name without its '-'
SourceStateSort = Literal["-traces", "traces", "-short_ttc_traces", "short_ttc_traces", "source_state",
                          "-source_state"]


def _pepper(request: Request) -> bytes:
    pepper: bytes = request.app.state.pepper
    return pepper


def _split(sort: str) -> tuple[str, bool]:
    """('name', descending) of a sort parameter ('-name' is descending)."""
    return sort.lstrip("-"), sort.startswith("-")


def _scored(lead: Lead, row: dict[str, Any]) -> dict[str, Any]:
    """The score, its parts and the evidence of one ranked row, as the models' fields."""
    evidence = lead.evidence
    return {
        "score": lead.score.points,
        "score_parts": [ScorePart(factor=part.factor, value=part.value, points=part.points)
                        for part in lead.score.parts],
        "evidence": LeadEvidence(traces=evidence.traces, short_ttc_traces=evidence.short_ttc_traces,
                                 median_ttc_days=evidence.median_ttc_days,
                                 multiple_sale_reports=evidence.multiple_sale_reports, agencies=evidence.agencies,
                                 recovery_states=evidence.recovery_states, trace_ids=list(row["trace_ids"]),
                                 multiple_sale_report_ids=list(row["multiple_sale_report_ids"])),
    }


def _ranked(rows: list[dict[str, Any]], ids: list[str], sort: str, limit: int,
            offset: int) -> list[tuple[Lead, dict[str, Any]]]:
    """Rows ranked by the pure scoring (ties by the shown id), one page of them."""
    by, descending = _split(sort)
    by_id = dict(zip(ids, rows, strict=True))
    evidence = ((lead_id, leads_queries.evidence_of(row)) for lead_id, row in by_id.items())
    leads = rank(evidence, by=SORT_KEY[by], descending=descending)
    return [(lead, by_id[lead.lead_id]) for lead in leads[offset:offset + limit]]


@router.get("/leads/purchasers", response_model=PurchaserLeadPage, summary="Purchasers on several traces, scored")
def purchaser_leads(request: Request, who: Reader, conn: Connection, sort: ScoreSort = "-score",
                    min_traces: Annotated[int, Query(ge=1, le=10_000,
                                                     description="least visible traces per purchaser")] = 2,
                    limit: Limit = 50, offset: Offset = 0) -> PurchaserLeadPage:
    """First retail purchasers found on at least `min_traces` (default 2) of the caller's visible traces,
    with a trafficking score and its evidence.

    A purchaser is shown by `purchaser_ref`, the pseudonym trace summaries show (equal on every trace of one
    buyer); `purchaser_id` is filled only for investigators, and no name ever appears (an investigator reads
    identity through `GET /v1/traces/{trace_id}?reason=...`, which is audited). Evidence counts only visible
    traces, and only the recovering agencies the caller may see. The score (pipeline/rules/leads.py) is
    1 per trace, +3 per trace with time to crime under 1095 days, +2 per multiple-sale report holding a
    traced gun, +1 per recovering agency beyond the first, +1.5 per recovery state beyond the first, and up
    to +2 for a median time to crime under 3 years. `sort`: `-score` (default), or by an evidence count or
    the median; a leading `-` means highest first; ties are broken by `purchaser_ref`. `total` counts every
    qualifying purchaser; `offset`/`limit` page through them.
    """
    scope = Scope.of(conn, who)
    rows = leads_queries.party_evidence(conn, scope, "purchaser", min_traces)
    pepper = _pepper(request)
    refs = [purchaser_ref(row["party"], pepper) or "" for row in rows]
    with_id = may_read_personal_data(who.role)
    items = [PurchaserLead(purchaser_ref=lead.lead_id, purchaser_id=row["party"] if with_id else None,
                           dealers=int(row["partners"]), **_scored(lead, row))
             for lead, row in _ranked(rows, refs, sort, limit, offset)]
    return PurchaserLeadPage(items=items, total=len(rows))


@router.get("/leads/dealers", response_model=DealerLeadPage, summary="Dealers by trafficking score")
def dealer_leads(who: Reader, conn: Connection, sort: ScoreSort = "-score",
                 min_traces: Annotated[int, Query(ge=1, le=10_000, description="least visible traces per dealer")] = 1,
                 limit: Limit = 50, offset: Offset = 0) -> DealerLeadPage:
    """Dealers (the licensee of the first retail sale) of at least `min_traces` (default 1) of the caller's
    visible traces, with the licensee's name, state, city and status, a trafficking score and its evidence.

    The score and the sorts are those of `/v1/leads/purchasers` (ties broken by the dealer's license).
    `purchasers` counts the distinct buyers of the visible traces' guns. Evidence counts only visible
    traces, and only the recovering agencies the caller may see.
    """
    scope = Scope.of(conn, who)
    rows = leads_queries.party_evidence(conn, scope, "dealer", min_traces)
    items = [DealerLead(dealer_license=lead.lead_id, name=row["name"], us_state=row["us_state"], city=row["city"],
                        status=row["status"], purchasers=int(row["partners"]), **_scored(lead, row))
             for lead, row in _ranked(rows, [row["party"] for row in rows], sort, limit, offset)]
    return DealerLeadPage(items=items, total=len(rows))


@router.get("/leads/short-ttc", response_model=ShortTtcPage, summary="Short time-to-crime traces")
def short_ttc_leads(request: Request, who: Reader, conn: Connection, sort: ShortTtcSort = "time_to_crime_days",
                    limit: Limit = 50, offset: Offset = 0) -> ShortTtcPage:
    """The caller's visible traces whose gun was recovered less than 3 years (1095 days) after its first retail
    sale, a trafficking indicator; shortest first by default (`sort`; ties by trace id).

    Purchasers by pseudonym (`purchaser_id` for investigators only).
    """
    name, descending = _split(sort)
    rows, total = leads_queries.short_ttc_traces(conn, Scope.of(conn, who), name, descending, limit, offset)
    pepper, with_id = _pepper(request), may_read_personal_data(who.role)
    items = [ShortTtcTrace(**{k: v for k, v in row.items() if k != "purchaser_id"},
                           purchaser_ref=purchaser_ref(row["purchaser_id"], pepper),
                           purchaser_id=row["purchaser_id"] if with_id else None) for row in rows]
    return ShortTtcPage(items=items, total=total)


@router.get("/leads/short-ttc-dealers", response_model=ShortTtcDealerPage,
            summary="Dealers recurring in short time-to-crime traces")
def short_ttc_dealer_leads(who: Reader, conn: Connection,
                           min_traces: Annotated[int, Query(ge=1, le=10_000,
                                                            description="least short time-to-crime traces")] = 2,
                           limit: Limit = 50, offset: Offset = 0) -> ShortTtcDealerPage:
    """Dealers that sold the guns of at least `min_traces` (default 2) of the caller's visible traces with a time to
    crime under 1095 days: license, name, state and city from the licensee records, the count, the median
    time to crime and those traces' ids. Most traces first, ties by license.
    """
    rows, total = leads_queries.short_ttc_dealers(conn, Scope.of(conn, who), min_traces, limit, offset)
    items = [ShortTtcDealer(dealer_license=row["dealer_license"], name=row["name"], us_state=row["us_state"],
                            city=row["city"], short_ttc_traces=int(row["short_ttc_traces"]),
                            median_ttc_days=row["median_ttc_days"], trace_ids=list(row["trace_ids"]))
             for row in rows]
    return ShortTtcDealerPage(items=items, total=total)


@router.get("/leads/multiple-sales", response_model=MultipleSalePage, summary="Traced guns in multiple-sale reports")
def multiple_sale_leads(request: Request, who: Reader, conn: Connection,
                        form: Annotated[Form | None, Query(description="only reports of this form")] = None,
                        sort: MultipleSaleSort = "-report_date", limit: Limit = 50,
                        offset: Offset = 0) -> MultipleSalePage:
    """ATF multiple-sale reports (3310.4: 2+ handguns to one buyer within 5 business days; 3310.12: 2+
    semi-automatic rifles over .22 in AZ, CA, NM or TX) holding the gun of at least one of the caller's
    visible traces: form, report date, dealer, the buyer's pseudonym, how many of the report's guns are on
    visible traces (`visible_guns`) and those traces' ids. The report's other guns are neither counted nor
    named. Newest report first by default (`sort`; ties by report id).
    """
    name, descending = _split(sort)
    rows, total = leads_queries.multiple_sales(conn, Scope.of(conn, who), form, name, descending, limit, offset)
    pepper, with_id = _pepper(request), may_read_personal_data(who.role)
    items = [MultipleSaleLead(report_id=row["report_id"], form=row["form"], report_date=row["report_date"],
                              dealer_license=row["dealer_license"], dealer_name=row["dealer_name"],
                              purchaser_ref=purchaser_ref(row["purchaser_id"], pepper) or "",
                              purchaser_id=row["purchaser_id"] if with_id else None,
                              visible_guns=int(row["visible_guns"]), trace_ids=list(row["trace_ids"]))
             for row in rows]
    return MultipleSalePage(items=items, total=total)


@router.get("/leads/source-states", response_model=SourceStatePage, summary="Visible traces by US source state")
def source_state_leads(who: Reader, conn: Connection, sort: SourceStateSort = "-traces") -> SourceStatePage:
    """How many of the caller's visible traces were first sold at retail in each US state (and how many of
    them with a time to crime under 1095 days); `unknown` counts visible traces without a source state.
    Most traces first by default (`sort`; ties by state).
    """
    name, descending = _split(sort)
    rows, unknown = leads_queries.source_states(conn, Scope.of(conn, who), name, descending)
    items = [SourceStateLead(source_state=row["source_state"], traces=int(row["traces"]),
                             short_ttc_traces=int(row["short_ttc_traces"]), trace_ids=list(row["trace_ids"]))
             for row in rows]
    return SourceStatePage(items=items, total=len(items), unknown=unknown)
