"""What the records lookups return: frozen dataclasses, one per kind of commerce record, and their errors.

Purchaser personal data (name, birth date, address, city) is kept out of `repr`, so a purchaser that
ends up in a log line or a traceback shows its id and state only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from pipeline.errors import TracepipeError


class RecordsError(TracepipeError):
    """A records operation failed (missing schema, invalid request)."""


class AccessDenied(RecordsError, PermissionError):
    """The caller's role may not read purchaser personal data (nothing was read)."""


# Roles that may read purchaser personal data; every read by them is audited.
PERSONAL_DATA_ROLES: frozenset[str] = frozenset({"investigator", "pipeline"})  # read_purchasers checks it too


class LicenseKind(StrEnum):
    """What a Federal Firearms Licensee does in the distribution chain."""

    MANUFACTURER = "MANUFACTURER"
    IMPORTER = "IMPORTER"
    WHOLESALER = "WHOLESALER"
    DEALER = "DEALER"


class LicenseStatus(StrEnum):
    """Whether the licensee still trades; records of out-of-business dealers go to a separate repository."""

    ACTIVE = "ACTIVE"
    OUT_OF_BUSINESS = "OUT_OF_BUSINESS"


class MultipleSaleForm(StrEnum):
    """ATF multiple-sale report forms."""

    HANDGUNS = "3310.4"  # two or more handguns to one buyer within 5 business days
    RIFLES = "3310.12"  # two or more semi-automatic rifles > .22 in AZ, CA, NM, TX (since 2011)


@dataclass(frozen=True, slots=True)
class Licensee:
    """A Federal Firearms Licensee (manufacturer, importer, wholesaler or retail dealer)."""

    license: str
    name: str
    kind: LicenseKind
    us_state: str
    city: str
    status: LicenseStatus
    closed_on: date | None

    @property
    def active(self) -> bool:
        """Still in business, so its own books answer a trace."""
        return self.status is LicenseStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class Manufacturer:
    """A maker, keyed by the canonical maker id `normalize_maker` returns; foreign makers have no licence."""

    maker_id: str
    name: str
    country: str
    license: str | None


@dataclass(frozen=True, slots=True)
class Importer:
    """A US importer of record, keyed by the canonical id `normalize_importer` returns."""

    importer_id: str
    name: str
    license: str


@dataclass(frozen=True, slots=True)
class ManufactureRecord:
    """A manufacturer's (or importer's) record of one gun and where it was first shipped.

    `shipped_to_license` (a wholesaler) and `shipped_on` are None for guns made before 1968.
    """

    firearm_key: str
    maker_id: str
    serial: str
    model: str
    caliber: str | None
    made_year: int
    importer_id: str | None
    shipped_to_license: str | None
    shipped_on: date | None
    exported_to: str | None = None  # a foreign maker's direct export (not to the US): never in US commerce


@dataclass(frozen=True, slots=True)
class WholesaleShipment:
    """A wholesaler's record: which retail dealer bought the gun, and when it was shipped."""

    firearm_key: str
    wholesaler_license: str
    dealer_license: str
    shipped_on: date


@dataclass(frozen=True, slots=True)
class RetailSale:
    """A first retail sale found in an active dealer's own books (the fast path of a trace)."""

    firearm_key: str
    dealer_license: str
    sale_date: date
    purchaser_id: str


@dataclass(frozen=True, slots=True)
class OobRecord:
    """A first retail sale found in the out-of-business records repository (the slow path of a trace)."""

    firearm_key: str
    dealer_license: str
    sale_date: date
    purchaser_id: str


@dataclass(frozen=True, slots=True)
class TheftReport:
    """A licensee's report that the gun was stolen from (or lost in) its inventory."""

    firearm_key: str
    reported_on: date
    reporter_license: str
    note: str


@dataclass(frozen=True, slots=True)
class Purchaser:
    """A first retail purchaser. PERSONAL DATA: read only through `find_purchasers`, never logged."""

    purchaser_id: str
    full_name: str = field(repr=False)
    birth_date: date = field(repr=False)
    address: str = field(repr=False)
    city: str = field(repr=False)
    us_state: str


@dataclass(frozen=True, slots=True)
class MultipleSale:
    """A multiple-sale report a dealer filed with ATF: one buyer, several guns, a few days apart."""

    report_id: str
    purchaser_id: str
    dealer_license: str
    report_date: date
    form: MultipleSaleForm
    firearm_keys: tuple[str, ...]
