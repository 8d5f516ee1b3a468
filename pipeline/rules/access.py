"""Who may do what: roles, the agencies' accreditation, and whose traces a caller may see (pure).

Each agency gets the results of the traces it requested; it also sees the traces of the agencies of its
state when both opted in to share with their state (eTrace's state sharing, reciprocal). National analysts
(FGR, ATF) see every trace. Only investigators read purchaser identity, and each read states a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from pipeline.vocab.agencies import Accreditation, Agency, AgencyKind


class Role(StrEnum):
    """What an account may do."""

    ANALYST = "analyst"  # the traces its agency may see
    INVESTIGATOR = "investigator"  # an analyst who may also read purchaser identity (audited, with a reason)
    NATIONAL_ANALYST = "national_analyst"  # every trace (FGR, ATF); no personal data
    OPS = "ops"  # metrics and lag only
    ADMIN = "admin"  # accounts, agencies, sharing, audit; no traces


__all__ = ["Accreditation", "Agency", "AgencyKind", "Caller", "Role"]

NATIONAL_KINDS = frozenset({AgencyKind.FEDERAL, AgencyKind.FOREIGN})
TRACE_READERS = frozenset({Role.ANALYST, Role.INVESTIGATOR, Role.NATIONAL_ANALYST})
SUBMITTERS = TRACE_READERS


@dataclass(frozen=True)
class Caller:
    """The account behind a request, as authentication found it."""

    account_id: str
    agency_id: str
    role: Role


def role_refusal(agency: Agency, role: Role) -> str | None:
    """Why `agency` may not hold an account with `role` (a message key), or None if it may."""
    if agency.accreditation is Accreditation.NOT_ACCREDITED:
        return "agency_not_accredited"
    if agency.accreditation is Accreditation.IN_TRAINING and role is not Role.ANALYST:
        return "agency_in_training"
    if role in (Role.NATIONAL_ANALYST, Role.ADMIN) and agency.kind not in NATIONAL_KINDS:
        return "role_needs_national_agency"
    return None


def sharing_refusal(agency: Agency) -> str | None:
    """Why `agency` may not opt in to state sharing (a message key), or None if it may."""
    if agency.accreditation is not Accreditation.ACCREDITED:
        return "agency_not_accredited"
    if agency.state_code is None:
        return "sharing_needs_a_state"
    return None


def visible_agencies(caller: Caller, agencies: Iterable[Agency]) -> frozenset[str] | None:
    """The agencies whose traces `caller` may see; None means every agency (a national analyst).

    A trace belongs to every agency that recovered the gun, so a caller sees a trace when one of its
    recoveries is by a visible agency. Non-readers (ops, admin) see none.
    """
    if caller.role is Role.NATIONAL_ANALYST:
        return None
    if caller.role not in TRACE_READERS:
        return frozenset()
    registry = {agency.agency_id: agency for agency in agencies}
    own = registry.get(caller.agency_id)
    if own is None or own.accreditation is Accreditation.NOT_ACCREDITED:
        return frozenset()
    visible = {own.agency_id}
    if own.shares_with_state and sharing_refusal(own) is None:
        visible.update(
            other.agency_id for other in registry.values()
            if other.shares_with_state and other.state_code == own.state_code and sharing_refusal(other) is None
        )
    return frozenset(visible)


def may_read_traces(role: Role) -> bool:
    """Search, detail, export, leads, possible duplicates."""
    return role in TRACE_READERS


def may_read_personal_data(role: Role) -> bool:
    """Purchaser (and possessor) identity; every read is audited with its reason."""
    return role is Role.INVESTIGATOR


def may_submit(role: Role) -> bool:
    """Publish seizures, always as the account's own agency."""
    return role in SUBMITTERS


def may_administer(role: Role) -> bool:
    """Accounts, agencies, sharing, the audit log."""
    return role is Role.ADMIN


def may_watch_operations(role: Role) -> bool:
    """Metrics and consumer lag."""
    return role in (Role.OPS, Role.ADMIN)
