"""What the admin and operations routes take and answer with (their OpenAPI schemas): accounts, agencies, the
audit log, consumer lag. No model here has a field for a token except `IssuedToken`, the one answer that
shows one (when it is created or rotated)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from pipeline.accounts.store import DEFAULT_DAYS, MAX_DAYS
from pipeline.rules.access import Accreditation, AgencyKind, Role

# Text that goes to PostgreSQL: no control characters (a NUL cannot be stored; the others are never meant).
PLAIN = r"^[^\x00-\x1f\x7f]*$"
AGENCY_ID = r"^[A-Za-z0-9-]{1,40}$"
Days = Field(DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="days until the token expires")


class NewAccount(BaseModel):
    """An account to create for a person or a system of an agency."""

    agency_id: str = Field(pattern=AGENCY_ID, description="e.g. FGE-JAL, SSP-GDL, FGR, ATF")
    role: Role
    label: str = Field(min_length=1, max_length=200, pattern=PLAIN, description="who or what holds it")
    days: int = Days


class Rotation(BaseModel):
    """How long the new token of a rotated account lives."""

    days: int = Days


class AccountOut(BaseModel):
    """An account as admins list it: never its token, only the token's first characters."""

    account_id: str
    agency_id: str
    label: str
    role: Role
    token_hint: str = Field(description="the token's first characters, to recognise it")
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    state: Literal["active", "expired", "revoked"]


class IssuedToken(BaseModel):
    """A created or rotated account with its token: shown this once, never again (only its hash is kept)."""

    account: AccountOut
    token: str


class AgencyOut(BaseModel):
    """An agency of the registry, with its accreditation and its state-sharing choice."""

    agency_id: str
    name: str
    kind: AgencyKind
    state_code: str | None = Field(description="INEGI code of its Mexican state")
    accreditation: Accreditation
    shares_with_state: bool


class NewAgency(BaseModel):
    """A municipal police agency to register."""

    agency_id: str = Field(pattern=AGENCY_ID, description="e.g. SSP-GDL (2 to 40 letters, digits and dashes)")
    name: str = Field(min_length=1, max_length=200, pattern=PLAIN)
    state: str = Field(min_length=1, max_length=80, pattern=PLAIN,
                       description="its Mexican state: name, abbreviation or INEGI code")
    in_training: bool = Field(False, description="accredited later (analyst accounts only until then)")


class Sharing(BaseModel):
    """Whether the agency shares its traces with the agencies of its state that share too."""

    on: bool


class AuditEntry(BaseModel):
    """One row of the append-only audit log (never personal data, never a token)."""

    id: int
    at: datetime
    account: str = Field(description="who: an account id, or cli:<user>")
    role: str
    action: str
    subject: str
    reason: str | None
    detail: dict[str, Any]


class StageLagOut(BaseModel):
    """A processor's backlog on its input topic."""

    stage: str
    group: str
    topic: str
    partitions: int
    never_committed: int = Field(description="partitions the group never committed (counted from the log start)")
    lag: int = Field(description="records still to read")
    seconds_behind: float | None = Field(description="age of the oldest unread record; null when unknown")


class GroupLagOut(BaseModel):
    """A consumer group's totals over every partition it consumes (changelogs included)."""

    group: str
    state: str
    partitions: int
    lag: int
    seconds_behind: float | None


class LagSummary(BaseModel):
    """Consumer lag of the pipeline's processors, taken at one moment (as `tracepipe lag` shows it)."""

    taken_at: datetime
    total_lag: int = Field(description="records every stage still has to read, summed")
    stages: list[StageLagOut]
    groups: list[GroupLagOut]
