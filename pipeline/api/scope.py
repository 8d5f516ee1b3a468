"""Whose traces a caller may see, as SQL: the pure rule (pipeline/rules/access.py) applied to the registry, and
the merge rule (confirmed possible duplicates are one gun), written once here for every query that lists,
counts or reads traces (search, export, maps, leads, detail).

The merge rule. A possible-duplicate link an analyst CONFIRMED says its two traces are one gun. For a caller
who may see both traces (exactly the callers who see the link in the queue and may decide on it), the
two become one: the candidate trace disappears from every list and count, and the link's `trace_id`
survives, standing for both (its recovering agencies are the union; `merged_from` names the others).
Confirmed links that chain (A-B, B-C) merge the whole group into one survivor: the least trace id among
the group's traces that are never a confirmed link's candidate (the least id of all if every one is).
A caller who sees only one of the two traces sees nothing change, so a merge never shows anybody a trace,
a recovery or an agency it could not see before. Rejecting or reopening the link restores both traces.
"""

from __future__ import annotations

from typing import Any

from pipeline.accounts.registry import load_agencies
from pipeline.rules.access import Caller, visible_agencies

# Every column of `traces` but `agencies` (which the merged view recomputes) and `stored_at`.
RECORDED_COLUMNS = (
    "trace_id", "firearm_key", "outcome", "reason", "maker", "model", "caliber", "serial", "firearm_type", "country",
    "recovery_date", "state_code", "opening_agency", "first_sale_date", "time_to_crime_days", "source_state",
    "dealer_license", "purchaser_id", "hops", "stage_timings", "opened_at", "completed_at",
)


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
        """A WHERE fragment over a row of the `traces` table as recorded (not merged): the traces one of whose
        recovering agencies is visible. Lists and counts read `traces()` instead; this is for the
        possible-duplicate links, which are judged on the traces as recorded."""
        if self.agencies is None:
            return "TRUE", {}
        return f"{alias}.agencies && %(scope_agencies)s::text[]", {"scope_agencies": sorted(self.agencies)}

    def merge_groups(self) -> tuple[str, dict[str, Any]]:
        """A parenthesised subquery: one row (trace_id, merged_into, agencies, merged_from) per trace of a
        confirmed link this caller may see; `merged_into` is the group's survivor (its own id for the survivor),
        `agencies` the union of the group's recovering agencies, `merged_from` the group's other trace ids."""
        scope_a, params = self.trace_clause("a")
        scope_b, _ = self.trace_clause("b")
        return (
            "(WITH RECURSIVE links AS ("  # noqa: S608 - constants and the scope's own fragment only
            " SELECT d.trace_id AS survivor, d.candidate_trace_id AS candidate FROM possible_duplicates d"
            " JOIN traces a ON a.trace_id = d.trace_id JOIN traces b ON b.trace_id = d.candidate_trace_id"
            f" WHERE d.status = 'CONFIRMED' AND d.trace_id <> d.candidate_trace_id AND {scope_a} AND {scope_b}),"
            " edges (node, other) AS (SELECT survivor, candidate FROM links"
            "  UNION SELECT candidate, survivor FROM links),"
            " reach (node, member) AS (SELECT node, node FROM edges"
            "  UNION SELECT r.node, e.other FROM reach r JOIN edges e ON e.node = r.member),"
            " roots AS (SELECT survivor AS member FROM links EXCEPT SELECT candidate FROM links),"
            " heads AS (SELECT r.node, coalesce(min(r.member) FILTER (WHERE o.member IS NOT NULL), min(r.member))"
            "  AS merged_into FROM reach r LEFT JOIN roots o ON o.member = r.member GROUP BY r.node),"
            " grouped AS (SELECT h.merged_into, array_agg(DISTINCT u.agency ORDER BY u.agency) AS agencies,"
            "  array_agg(DISTINCT h.node ORDER BY h.node) FILTER (WHERE h.node <> h.merged_into) AS merged_from"
            "  FROM heads h JOIN traces c ON c.trace_id = h.node CROSS JOIN LATERAL unnest(c.agencies) AS u(agency)"
            "  GROUP BY h.merged_into)"
            " SELECT h.node AS trace_id, h.merged_into, g.agencies, g.merged_from"
            " FROM heads h JOIN grouped g USING (merged_into))"
        ), params

    def traces(self, alias: str = "t") -> tuple[str, dict[str, Any]]:
        """A FROM item named `alias`: the traces this caller may see, one row per gun (the merge rule applied),
        with the columns of `traces`, `agencies` of the whole group and `merged_from` (trace ids, else empty).

        The visibility test is on the recorded agencies (a merge applies only where both traces are visible),
        so PostgreSQL keeps using the agencies index; the subquery is pulled up into the caller's query."""
        groups, params = self.merge_groups()
        visible, _ = self.trace_clause("r")
        columns = ", ".join(f"r.{c}" for c in RECORDED_COLUMNS)
        return (f"(SELECT {columns}, coalesce(m.agencies, r.agencies) AS agencies,"  # noqa: S608 - constants only
                " coalesce(m.merged_from, ARRAY[]::text[]) AS merged_from"
                f" FROM traces r LEFT JOIN {groups} m ON m.trace_id = r.trace_id WHERE {visible}"
                f" AND r.trace_id <> ALL (ARRAY(SELECT g.trace_id FROM {groups} g WHERE g.trace_id <> g.merged_into))"
                f") AS {alias}"), params

    def survivor_of(self, trace_id_param: str) -> tuple[str, dict[str, Any]]:
        """An SQL expression: the trace the id in parameter `trace_id_param` stands for (its survivor when the
        caller sees it merged, else the id itself)."""
        groups, params = self.merge_groups()
        return (f"coalesce((SELECT g.merged_into FROM {groups} g "  # noqa: S608 - constants only
                f"WHERE g.trace_id = %({trace_id_param})s),"
                f" %({trace_id_param})s)"), params

    def merged_serial_clause(self, alias: str, serial_param: str) -> tuple[str, dict[str, Any]]:
        """A WHERE fragment over `traces()`: the trace's serial, or the serial of a trace merged into it, equals
        the parameter `serial_param` (a gun is found by either of the serials it was entered with)."""
        groups, params = self.merge_groups()
        return (f"({alias}.serial = %({serial_param})s OR {alias}.trace_id = ANY (ARRAY("  # noqa: S608
                f"SELECT g.merged_into FROM {groups} g JOIN traces c ON c.trace_id = g.trace_id"
                f" WHERE g.trace_id <> g.merged_into AND c.serial = %({serial_param})s)))"), params
