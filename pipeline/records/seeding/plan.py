"""Pure planning of the firearms-commerce records: scenario guns and a seed in, the rows of every table out.

No database here. `plan_records` draws everything from its own `random.Random`, so the same guns and
seed always give the same rows; `pipeline.records.seeding.seed` only streams the planned rows into PostgreSQL.

Each seized gun gets exactly the records its `TraceFate` needs (see the table in `plan_records`), keyed
by `truth_key`, which is `pipeline.normalize.firearm_key` of the true description, as the pipeline
computes it. Background guns (never seized), extra dealers, wholesalers and purchasers surround them
so lookups run against realistic volumes.
"""


from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pipeline.producers.scenario.firearms import DEFAULT_AS_OF
from pipeline.producers.scenario.truth import FirearmTruth
from pipeline.records.seeding.rows import RecordsPlan
from pipeline.records.seeding.seized import SeizedGunPlanner


def plan_records(
    firearms: Sequence[FirearmTruth],
    seed: int,
    *,
    extra_firearms: int | None = None,
    extra_licensees: int | None = None,
    as_of: date = DEFAULT_AS_OF,
) -> RecordsPlan:
    """The rows of every records table for these guns; deterministic in (firearms, seed, options).

    What each seized gun's fate gets (key = `truth_key(gun)`):

    - TRACEABLE: manufacture record shipped to a wholesaler, wholesale shipment to an ACTIVE dealer of
      `source_state`, retail sale on `first_sale_date` to a purchaser (one per purchase group).
    - DEALER_OUT_OF_BUSINESS_FOUND: the same chain to an OUT_OF_BUSINESS dealer (closed after the sale),
      the sale in `oob_records`, none in `retail_sales`.
    - DEALER_OUT_OF_BUSINESS_RECORD_NOT_FOUND: the chain to an OUT_OF_BUSINESS dealer, no sale anywhere.
    - REPORTED_STOLEN: the chain to an ACTIVE dealer and a theft report by it on `first_sale_date`, no sale.
    - PRE_1968: a manufacture record (made before 1968) with no shipment.
    - FOREIGN_NO_US_IMPORT, NO_MANUFACTURER_RECORD: nothing.
    - SERIAL_OBLITERATED, INSUFFICIENT_DATA: an ordinary background history if the gun entered US commerce.

    Purchase groups that reach a purchaser get multiple-sale reports: 3310.4 for two or more handguns
    within 5 business days, 3310.12 for two or more rifles above .22 in AZ, CA, NM or TX since 2011.
    `extra_firearms` background guns (default: as many as seized) and about `extra_licensees` dealers
    (default: one per 40 guns, at least 200) surround them.
    """
    extra = len(firearms) if extra_firearms is None else extra_firearms
    if extra < 0:
        raise ValueError("extra_firearms must not be negative")
    dealers = max(200, (len(firearms) + extra) // 40) if extra_licensees is None else extra_licensees
    planner = SeizedGunPlanner(seed, as_of, max(dealers, 1))
    planner.seized(firearms)
    planner.background(extra)
    planner.plan.licensees = planner.licensee_rows()
    return planner.plan
