"""The publishing agencies: FGR and the accredited state prosecutors, with their id and numbering habits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from random import Random

from pipeline.producers.scenario.spelling import AgencyStyle
from pipeline.vocab import State, load_vocabulary
from pipeline.vocab.agencies import STATE_PREFIX, TRAINING_STATES  # México state, in training, publishes too

FGR = "FGR"
ID_STYLES = ("SEQUENCE", "FOLIO", "UUID")


def agency_id_for(state: State) -> str:
    """The agency id of a state prosecutor: 'FGE-' + ISO 3166-2:MX suffix ('FGE-JAL', 'FGE-MEX')."""
    return f"{STATE_PREFIX}{state.iso}"


def state_of_agency(agency_id: str) -> State | None:
    """The state a state prosecutor's id belongs to; None for FGR (federal, reports from anywhere)."""
    if agency_id == FGR:
        return None
    iso = agency_id.removeprefix(STATE_PREFIX)
    for state in load_vocabulary().states:
        if state.iso == iso:
            if not (state.accredited or state.iso in TRAINING_STATES):
                raise ValueError(f"{agency_id}: {state.name} is not an accredited eTrace agency")
            return state
    raise ValueError(f"unknown agency id {agency_id!r}")


@dataclass
class Agency:
    """One publishing agency: its state (None for FGR), typing style and event/case numbering."""

    agency_id: str
    state: State | None
    style: AgencyStyle
    id_style: str
    _events: int = field(default=0, repr=False)
    _cases: int = field(default=0, repr=False)

    def next_event_id(self, rng: Random, day: date) -> str:
        """A new event id, unique within this agency."""
        self._events += 1
        if self.id_style == "UUID":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if self.id_style == "FOLIO":
            return f"{self.agency_id.removeprefix(STATE_PREFIX)}/{day.year}/{self._events:06d}"
        return f"{self.agency_id}-{day.year}-{self._events:06d}"

    def next_case_number(self, seizure_state: State, day: date) -> str:
        """A new carpeta de investigación number in this agency's format."""
        self._cases += 1
        if self.state is None:
            return f"FED/{seizure_state.iso}/{self._cases:07d}/{day.year}"
        return f"CI-{self.state.iso}-{day.year}-{self._cases:06d}"
