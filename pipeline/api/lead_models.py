"""What the leads endpoints answer with (their OpenAPI schemas). Every count is over the caller's visible traces.

Purchasers appear by `purchaser_ref`, the pseudonym the trace search shows; `purchaser_id` is filled only for
investigators, and never a name: identity is read only through the audited trace detail. Lists of ids are
the first `MAX_EVIDENCE_IDS` (pipeline/api/leads_queries.py) in id order; the counts beside them are complete.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.rules.leads import Factor

Form = Literal["3310.4", "3310.12"]


class _Exact(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScorePart(_Exact):
    """One factor of a trafficking score: the evidence value it used and the points it gave."""

    factor: Factor
    value: float | None = Field(description="the evidence value (a count, or the median in days)")
    points: float = Field(ge=0)


class LeadEvidence(_Exact):
    """What the caller's visible traces say about one dealer or purchaser."""

    traces: int = Field(ge=0, description="visible traces")
    short_ttc_traces: int = Field(ge=0, description="visible traces with time to crime under 1095 days")
    median_ttc_days: float | None = Field(description="median time to crime of the visible traces (None: unknown)")
    multiple_sale_reports: int = Field(ge=0, description="multiple-sale reports holding a visible trace's gun")
    agencies: int = Field(ge=0, description="distinct recovering agencies, among those the caller may see")
    recovery_states: int = Field(ge=0, description="distinct Mexican states (INEGI codes) of the visible traces")
    trace_ids: list[str] = Field(description="visible trace ids (links to /v1/traces/{trace_id})")
    multiple_sale_report_ids: list[str] = Field(description="ids of those multiple-sale reports")


class PurchaserLead(_Exact):
    """A first retail purchaser on visible traces, with a trafficking score."""

    purchaser_ref: str = Field(description="the pseudonym of the purchaser (as trace summaries show it)")
    purchaser_id: str | None = Field(description="the records' purchaser id: investigators only, never a name")
    dealers: int = Field(ge=0, description="distinct dealers who sold this purchaser a visible trace's gun")
    score: float = Field(ge=0)
    score_parts: list[ScorePart]
    evidence: LeadEvidence


class PurchaserLeadPage(_Exact):
    """Purchasers ranked by the chosen key; `total` counts every purchaser that qualified."""

    items: list[PurchaserLead]
    total: int = Field(ge=0)


class DealerLead(_Exact):
    """A dealer (licensee) that sold guns of visible traces, with a trafficking score."""

    dealer_license: str
    name: str | None = Field(description="from the licensee records (None: not in them)")
    us_state: str | None
    city: str | None
    status: str | None = Field(description="ACTIVE or OUT_OF_BUSINESS")
    purchasers: int = Field(ge=0, description="distinct purchasers of the visible traces' guns")
    score: float = Field(ge=0)
    score_parts: list[ScorePart]
    evidence: LeadEvidence


class DealerLeadPage(_Exact):
    """Dealers ranked by the chosen key; `total` counts every dealer that qualified."""

    items: list[DealerLead]
    total: int = Field(ge=0)


class ShortTtcTrace(_Exact):
    """A visible trace whose gun reached crime within 3 years of its first retail sale."""

    trace_id: str
    time_to_crime_days: int
    recovery_date: date | None
    first_sale_date: date | None
    state_code: str | None
    source_state: str | None
    dealer_license: str | None
    maker: str | None
    model: str | None
    caliber: str | None
    purchaser_ref: str | None
    purchaser_id: str | None = Field(description="investigators only")


class ShortTtcPage(_Exact):
    """Short time-to-crime traces; `total` counts all of them."""

    items: list[ShortTtcTrace]
    total: int = Field(ge=0)


class ShortTtcDealer(_Exact):
    """A dealer recurring in visible short time-to-crime traces."""

    dealer_license: str
    name: str | None
    us_state: str | None
    city: str | None
    short_ttc_traces: int = Field(ge=0)
    median_ttc_days: float | None = Field(description="median time to crime of those traces")
    trace_ids: list[str]


class ShortTtcDealerPage(_Exact):
    """Dealers by number of short time-to-crime traces; `total` counts every dealer that qualified."""

    items: list[ShortTtcDealer]
    total: int = Field(ge=0)


class MultipleSaleLead(_Exact):
    """A multiple-sale report holding the guns of visible traces (only those are counted and listed)."""

    report_id: str
    form: Form = Field(description="3310.4: 2+ handguns in 5 business days; 3310.12: 2+ rifles > .22 (AZ CA NM TX)")
    report_date: date
    dealer_license: str
    dealer_name: str | None
    purchaser_ref: str
    purchaser_id: str | None = Field(description="investigators only")
    visible_guns: int = Field(ge=1, description="guns of the report that are on traces the caller may see")
    trace_ids: list[str]


class MultipleSalePage(_Exact):
    """Multiple-sale reports; `total` counts every report with a visible gun."""

    items: list[MultipleSaleLead]
    total: int = Field(ge=0)


class SourceStateLead(_Exact):
    """Visible traces by the US state of the gun's first retail sale."""

    source_state: str
    traces: int = Field(ge=0)
    short_ttc_traces: int = Field(ge=0)
    trace_ids: list[str]


class SourceStatePage(_Exact):
    """Source states; `total` counts the states, `unknown` the visible traces without a source state."""

    items: list[SourceStateLead]
    total: int = Field(ge=0)
    unknown: int = Field(ge=0, description="visible traces with no known source state")
