"""Whose traces a caller may see, as SQL: the pure rule (pipeline/rules/access.py) applied to the registry."""

from __future__ import annotations

from typing import Any

from pipeline.accounts.registry import load_agencies
from pipeline.rules.access import Caller, visible_agencies


class Scope:
    """The visible agencies of one caller (`agencies` None: every agency) and the SQL that enforces it."""

    def __init__(self, agencies: frozenset[str] | None) -> None:
        self.agencies = agencies

    @classmethod
    def of(cls, conn: Any, caller: Caller) -> Scope:
        """Read the registry (sharing choices change at any time) and apply the rule."""
        return cls(visible_agencies(caller, load_agencies(conn)))

    @property
    def everything(self) -> bool:
        """A national analyst."""
        return self.agencies is None

    def sees_agency(self, agency_id: str) -> bool:
        """Whether recoveries by `agency_id` may be shown."""
        return self.agencies is None or agency_id in self.agencies

    def trace_clause(self, alias: str = "t") -> tuple[str, dict[str, Any]]:
        """A WHERE fragment keeping the traces one of whose recovering agencies is visible."""
        if self.agencies is None:
            return "TRUE", {}
        return f"{alias}.agencies && %(scope_agencies)s::text[]", {"scope_agencies": sorted(self.agencies)}
