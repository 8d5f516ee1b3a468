"""What the API answers with (its OpenAPI schemas): traces, their chain of custody, statuses, errors."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """Every error: a stable key for programs and a sentence in the caller's language."""

    error: str
    message: str
    problems: list[str] | None = None


class TraceSummary(BaseModel):
    """One trace as a search lists it (no personal data)."""

    trace_id: str
    outcome: str
    reason: str
    reason_text: str
    maker: str | None
    model: str | None
    caliber: str | None
    serial: str | None
    firearm_type: str | None
    country: str | None
    recovery_date: date | None
    state_code: str | None
    opening_agency: str
    agencies: list[str] = Field(description="recovering agencies the caller may see")
    first_sale_date: date | None
    time_to_crime_days: int | None
    short_time_to_crime: bool | None = Field(description="time to crime under 3 years, a trafficking indicator")
    source_state: str | None
    dealer_license: str | None
    purchaser_ref: str | None = Field(description="a pseudonym of the first purchaser: equal on traces of one buyer")
    completed_at: datetime
    merged_from: list[str] = Field(default_factory=list,
                                   description="traces merged into this one (confirmed duplicates of the same gun, "
                                               "shown only as this trace); empty for most traces")


class TracePage(BaseModel):
    """One page of a search; pass `next_cursor` as `cursor` for the next page (None: the last page)."""

    items: list[TraceSummary]
    next_cursor: str | None


class Hop(BaseModel):
    """One link of the chain of custody: maker/importer, wholesaler, dealer, first purchaser."""

    stage: str
    party_type: str
    party_id: str | None
    party_name: str | None
    location: str | None
    event_date: date | None


class Recovery(BaseModel):
    """A sighting of the gun: which agency, where, when."""

    agency_id: str
    event_id: str
    trace_id: str = Field(description="the trace it was recorded on (a merged duplicate's id for its recoveries)")
    recovery_date: date
    state_code: str | None
    municipality: str | None
    possible_duplicate: bool
    reported_at: datetime


class StageTiming(BaseModel):
    """How long a tracing stage held the trace."""

    stage: str
    entered_at: datetime
    left_at: datetime
    seconds: float


class DuplicateLink(BaseModel):
    """Two traces probably entered twice with a serial typo."""

    link_id: str
    trace_id: str
    candidate_trace_id: str
    serial: str
    candidate_serial: str
    found_at: datetime
    status: str


class Purchaser(BaseModel):
    """The first retail purchaser (personal data: investigators only, every read audited)."""

    purchaser_id: str
    full_name: str
    birth_date: date | None
    address: str | None
    city: str | None
    us_state: str | None


class TraceDetail(TraceSummary):
    """A trace with its chain of custody, every visible recovery, linked duplicates and stage timings."""

    merged_into: str | None = Field(None, description="set when the trace asked for was merged into another (a "
                                                      "confirmed duplicate): the answer is the surviving trace's "
                                                      "detail, and this is its id")
    hops: list[Hop]
    recoveries: list[Recovery]
    hidden_recoveries: int = Field(description="recoveries by agencies the caller may not see")
    possible_duplicates: list[DuplicateLink]
    stage_timings: list[StageTiming]
    purchaser: Purchaser | None = Field(description="only for an investigator who gave a reason")


SeizureState = Literal["received", "dead_lettered", "exact_duplicate", "in_progress", "completed"]


class SeizureStatus(BaseModel):
    """What happened to one of the agency's seizures."""

    agency_id: str
    event_id: str
    status: SeizureState
    reason_code: str | None = None
    message: str | None = Field(None, description="why it was dead-lettered, in the caller's language")
    trace_id: str | None = None
    stage: str | None = Field(None, description="the stage an open trace is at")
    outcome: str | None = None
    reason: str | None = None
    at: datetime | None = None


class DuplicateDecision(BaseModel):
    """An analyst's decision on a possible duplicate."""

    decision: Literal["CONFIRMED", "REJECTED", "PENDING"]
