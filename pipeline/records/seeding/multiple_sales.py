"""The multiple-sale reporting rules (ATF forms 3310.4 for handguns, 3310.12 for border-state rifles)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from pipeline.records.seeding import places
from pipeline.vocab import FirearmType

RIFLE_REPORTS_SINCE = date(2011, 8, 14)  # start of the 3310.12 reporting requirement
MULTIPLE_SALE_BUSINESS_DAYS = 5
HANDGUN_TYPES = frozenset({FirearmType.PISTOL.value, FirearmType.REVOLVER.value})
# Rifle calibres whose guns are (mostly) not semi-automatic with detachable magazines above .22: not reported.
_UNREPORTED_RIFLE_CALIBERS = frozenset({".22 LR", ".22 WMR", ".30-30", ".30-06"})


def business_days_spanned(first: date, last: date) -> int:
    """Business days of the window that starts on `first` and ends on `last` (first counts as day 1)."""
    if last < first:
        first, last = last, first
    weeks, extra = divmod((last - first).days, 7)
    weekdays = weeks * 5
    day = first
    for _ in range(extra):
        day += timedelta(days=1)
        if day.weekday() < 5:
            weekdays += 1
    return 1 + weekdays


def multiple_sale_windows(sales: Sequence[tuple[date, str]]) -> list[list[tuple[date, str]]]:
    """Groups of two or more (sale date, key) that fall within 5 consecutive business days, oldest first."""
    ordered = sorted(sales)
    windows: list[list[tuple[date, str]]] = []
    i = 0
    while i < len(ordered):
        window = [ordered[i]]
        j = i + 1
        while j < len(ordered) and business_days_spanned(ordered[i][0], ordered[j][0]) <= MULTIPLE_SALE_BUSINESS_DAYS:
            window.append(ordered[j])
            j += 1
        if len(window) >= 2:
            windows.append(window)
        i = j
    return windows


def reportable_rifle(firearm_type: str, caliber: str | None, us_state: str, sale_date: date) -> bool:
    """Whether a rifle sale counts towards a 3310.12 report (semi-automatic > .22, border state, since 2011)."""
    return (
        firearm_type == FirearmType.RIFLE.value
        and caliber not in _UNREPORTED_RIFLE_CALIBERS
        and caliber is not None
        and us_state in places.RIFLE_REPORT_STATES
        and sale_date >= RIFLE_REPORTS_SINCE
    )
