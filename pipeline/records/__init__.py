"""Firearms-commerce records the tracing stages consult: schema (migration 0002), seeder and batched lookups.

- `plan_records` / `truth_key` (pure): which rows each scenario gun's trace fate needs, keyed exactly as
  the pipeline keys the gun (`pipeline.normalize.firearm_key`).
- `seed_records` / `seed_for_firearms`: replace the records in PostgreSQL with COPY, deterministically.
- `find_*`: one query per batch of keys; `find_purchasers` is role-checked and audited.
"""

from pipeline.records.lookup import (
    PURCHASER_READ_ACTION,
    find_dealers,
    find_importers,
    find_manufacture,
    find_manufacturers,
    find_multiple_sales,
    find_multiple_sales_for_firearms,
    find_oob_records,
    find_purchasers,
    find_retail_sales,
    find_thefts,
    find_wholesale,
)
from pipeline.records.model import (
    PERSONAL_DATA_ROLES,
    AccessDenied,
    Importer,
    Licensee,
    LicenseKind,
    LicenseStatus,
    Manufacturer,
    ManufactureRecord,
    MultipleSale,
    MultipleSaleForm,
    OobRecord,
    Purchaser,
    RecordsError,
    RetailSale,
    TheftReport,
    WholesaleShipment,
)
from pipeline.records.plan import TABLES, RecordsPlan, plan_records, truth_key
from pipeline.records.seed import SeedReport, load_plan, seed_for_firearms, seed_records

__all__ = [
    "PERSONAL_DATA_ROLES",
    "PURCHASER_READ_ACTION",
    "TABLES",
    "AccessDenied",
    "Importer",
    "LicenseKind",
    "LicenseStatus",
    "Licensee",
    "ManufactureRecord",
    "Manufacturer",
    "MultipleSale",
    "MultipleSaleForm",
    "OobRecord",
    "Purchaser",
    "RecordsError",
    "RecordsPlan",
    "RetailSale",
    "SeedReport",
    "TheftReport",
    "WholesaleShipment",
    "find_dealers",
    "find_importers",
    "find_manufacture",
    "find_manufacturers",
    "find_multiple_sales",
    "find_multiple_sales_for_firearms",
    "find_oob_records",
    "find_purchasers",
    "find_retail_sales",
    "find_thefts",
    "find_wholesale",
    "load_plan",
    "plan_records",
    "seed_for_firearms",
    "seed_records",
    "truth_key",
]
