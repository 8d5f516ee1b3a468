"""The agency registry as data: the 32 state prosecutors (accreditation from states.json), FGR and ATF.

Municipal police agencies are not listed here: an admin adds them (`tracepipe agencies add`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pipeline.vocab import load_vocabulary


class Accreditation(StrEnum):
    """An agency's standing with the tracing service."""

    ACCREDITED = "ACCREDITED"
    IN_TRAINING = "IN_TRAINING"  # analyst accounts only: submit and read its own traces, no sharing
    NOT_ACCREDITED = "NOT_ACCREDITED"  # no accounts


class AgencyKind(StrEnum):
    """Federal (FGR), state prosecutor, municipal police, or a foreign partner (ATF)."""

    FEDERAL = "FEDERAL"
    STATE = "STATE"
    MUNICIPAL = "MUNICIPAL"
    FOREIGN = "FOREIGN"


@dataclass(frozen=True)
class Agency:
    """One agency of the registry."""

    agency_id: str
    name: str
    kind: AgencyKind
    state_code: str | None
    accreditation: Accreditation
    shares_with_state: bool = False


STATE_PREFIX = "FGE-"
TRAINING_STATES = frozenset({"MEX"})  # México state: being trained
NATIONAL = (
    Agency("FGR", "Fiscalía General de la República", AgencyKind.FEDERAL, None, Accreditation.ACCREDITED),
    Agency("ATF", "Bureau of Alcohol, Tobacco, Firearms and Explosives", AgencyKind.FOREIGN, None,
           Accreditation.ACCREDITED),
)


def default_agencies() -> list[Agency]:
    """Every agency the registry starts with."""
    states = []
    for state in load_vocabulary().states:
        if state.accredited:
            standing = Accreditation.ACCREDITED
        elif state.iso in TRAINING_STATES:
            standing = Accreditation.IN_TRAINING
        else:
            standing = Accreditation.NOT_ACCREDITED
        states.append(Agency(f"{STATE_PREFIX}{state.iso}", f"Fiscalía General del Estado de {state.name}",
                             AgencyKind.STATE, state.code, standing))
    return [*NATIONAL, *states]
