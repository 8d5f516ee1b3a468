"""A small, exactly known world for the results API tests: agencies, traces, recoveries, records, accounts.

Every trace is written straight into PostgreSQL (as the sink would), so visibility can be checked against
a ground truth: which agency recovered which gun. Purchaser names are marked so logs can be searched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from pipeline.accounts.store import Actor, add_municipal_agency, create_account, revoke_account, set_sharing
from pipeline.rules.access import Role
from pipeline.vocab.agencies import Accreditation

STATES = {"FGE-JAL": "14", "FGE-SON": "26", "FGE-CHH": "08", "SSP-GDL": "14", "FGE-MEX": "15", "FGR": None}
AGENCIES = tuple(STATES)
NAME_MARK = "Zzseeded"  # every seeded purchaser name contains it: it must never reach a log
SHARED_BUYER = "P-SHARED"
DEALERS = {"D-TX-1": ("Border Guns", "TX", "Laredo"), "D-AZ-1": ("Desert Arms", "AZ", "Tucson")}
NOW = datetime(2024, 8, 1, tzinfo=UTC)
ADMIN = Actor("cli:test", "admin")


@dataclass
class World:
    """What was written, for the tests to compare answers with."""

    traces: dict[str, set[str]] = field(default_factory=dict)  # trace id -> agencies that recovered it
    serials: dict[str, str] = field(default_factory=dict)  # trace id -> serial
    purchasers: dict[str, str] = field(default_factory=dict)  # trace id -> purchaser id
    names: dict[str, str] = field(default_factory=dict)  # purchaser id -> full name
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # link id -> (trace, candidate)
    tokens: dict[str, str] = field(default_factory=dict)  # account name -> token
    accounts: dict[str, str] = field(default_factory=dict)  # account name -> account id
    events: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (agency, event id)

    def of(self, agency: str) -> set[str]:
        """The traces `agency` recovered."""
        return {trace for trace, agencies in self.traces.items() if agency in agencies}


def _hops(maker: str, dealer: str | None, purchaser: str | None, sale: date | None) -> str:
    hops = [{"stage": "manufacturer", "party_type": "MANUFACTURER", "party_id": maker, "party_name": maker,
             "location": None, "event_date": "2015-01-01", "found_at": NOW.isoformat()}]
    if dealer:
        hops.append({"stage": "wholesaler", "party_type": "DEALER", "party_id": dealer,
                     "party_name": DEALERS[dealer][0], "location": DEALERS[dealer][2], "event_date": "2015-02-01",
                     "found_at": NOW.isoformat()})
    if purchaser:
        hops.append({"stage": "purchaser", "party_type": "PURCHASER", "party_id": purchaser,
                     "party_name": purchaser, "location": "TX", "event_date": str(sale), "found_at": NOW.isoformat()})
    return json.dumps(hops)


def _timings() -> str:
    entered = NOW - timedelta(seconds=3)
    return json.dumps([{"stage": "manufacturer", "entered_at": entered.isoformat(), "left_at": NOW.isoformat()}])


def _trace(cur, world: World, trace_id: str, agencies: list[str], serial: str, *, completed: bool, ttc: int | None,
           dealer: str | None = None, purchaser: str | None = None, maker: str = "GLOCK",
           recovered: date = date(2024, 7, 1)) -> None:
    sale = recovered - timedelta(days=ttc) if ttc is not None else None
    state = STATES[agencies[0]] or "09"
    cur.execute(
        "INSERT INTO traces (trace_id, firearm_key, outcome, reason, maker, model, caliber, serial, firearm_type,"
        " country, recovery_date, state_code, opening_agency, agencies, first_sale_date, time_to_crime_days,"
        " source_state, dealer_license, purchaser_id, hops, stage_timings, opened_at, completed_at)"
        " VALUES (%s,%s,%s,%s,%s,'G19','9MM',%s,'PISTOL','AUT',%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
        (trace_id, f"{maker}|{serial}", "COMPLETED" if completed else "CLOSED",
         "NONE" if completed else "NO_MANUFACTURER_RECORD", maker, serial, recovered, state, agencies[0], agencies,
         sale, ttc, DEALERS[dealer][1] if dealer else None, dealer, purchaser, _hops(maker, dealer, purchaser, sale),
         _timings(), NOW - timedelta(seconds=5), NOW),
    )
    for n, agency in enumerate(agencies):
        event = f"{trace_id}-{agency}"
        cur.execute("INSERT INTO recoveries VALUES (%s,%s,%s,%s,%s,%s,false,%s)",
                    (agency, event, trace_id, recovered + timedelta(days=n), STATES[agency] or "09", "Centro", NOW))
    world.traces[trace_id] = set(agencies)
    world.serials[trace_id] = serial
    if purchaser:
        world.purchasers[trace_id] = purchaser
        if dealer:
            cur.execute("INSERT INTO retail_sales VALUES (%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                        (f"{maker}|{serial}", dealer, sale, purchaser))


def _purchaser(cur, world: World, purchaser_id: str, name: str) -> None:
    cur.execute("INSERT INTO purchasers VALUES (%s,%s,%s,%s,%s,'TX')",
                (purchaser_id, name, date(1980, 1, 1), f"1 {NAME_MARK} Street", "Laredo"))
    world.names[purchaser_id] = name


def build_world(conn) -> World:
    """Write the world in one transaction (as the database owner) and return what it holds."""
    world = World()
    with conn.cursor() as cur:
        for license_, (name, state, city) in DEALERS.items():
            cur.execute("INSERT INTO licensees VALUES (%s,%s,'DEALER',%s,%s,'ACTIVE',NULL)",
                        (license_, name, state, city))
        _purchaser(cur, world, SHARED_BUYER, f"Shared {NAME_MARK} Buyer")
        for index, agency in enumerate(AGENCIES):
            code = agency.replace("-", "")
            own_buyer = f"P-{code}"
            _purchaser(cur, world, own_buyer, f"{code} {NAME_MARK} Person")
            _trace(cur, world, f"TR-{code}-1", [agency], f"AB{index}1001", completed=True, ttc=400, dealer="D-TX-1",
                   purchaser=own_buyer)
            _trace(cur, world, f"TR-{code}-2", [agency], f"AB{index}2002", completed=True, ttc=2000, dealer="D-AZ-1",
                   purchaser=SHARED_BUYER)
            _trace(cur, world, f"TR-{code}-3", [agency], f"AB{index}3003", completed=False, ttc=None)
        # One gun recovered by Jalisco and by FGR; its serial is one typo away from a Sonora trace's.
        _trace(cur, world, "TR-JOINT", ["FGE-JAL", "FGR"], "ZX9000", completed=True, ttc=300, dealer="D-TX-1",
               purchaser="P-FGEJAL")
        _trace(cur, world, "TR-SON-TWIN", ["FGE-SON"], "ZX9001", completed=False, ttc=None)
        _trace(cur, world, "TR-JAL-TWIN", ["FGE-JAL"], "ZX9010", completed=False, ttc=None)
        pairs = {"L-JAL-SON": ("TR-JOINT", "TR-SON-TWIN"), "L-JAL-JAL": ("TR-JOINT", "TR-JAL-TWIN")}
        for link, (a, b) in pairs.items():
            cur.execute("INSERT INTO possible_duplicates (link_id, trace_id, candidate_trace_id, serial,"
                        " candidate_serial, found_at) VALUES (%s,%s,%s,%s,%s,%s)",
                        (link, a, b, world.serials[a], world.serials[b], NOW))
            world.links[link] = (a, b)
        cur.execute("INSERT INTO multiple_sales VALUES ('MS-1', %s, 'D-AZ-1', %s, '3310.4', %s)",
                    (SHARED_BUYER, date(2019, 1, 10), ["GLOCK|AB02002", "GLOCK|AB12002"]))
        # Status fixtures: a dead letter, an exact re-send, a received submission, an open trace.
        cur.execute("INSERT INTO seizure_outcomes VALUES ('FGE-JAL','JAL-DEAD-1','DEAD_LETTER','FUTURE_DATE',"
                    "'recovery date is in the future','la fecha de aseguramiento está en el futuro',%s)", (NOW,))
        cur.execute("INSERT INTO seizure_outcomes VALUES ('FGE-SON','SON-DUP-1','EXACT_DUPLICATE',NULL,NULL,NULL,%s)",
                    (NOW,))
        cur.execute("INSERT INTO submissions VALUES ('FGE-JAL','JAL-RECEIVED-1','acct_test',%s)", (NOW,))
        cur.execute("INSERT INTO recoveries VALUES ('FGE-JAL','JAL-OPEN-1','TR-OPEN',%s,'14','Centro',false,%s)",
                    (date(2024, 7, 2), NOW))
        cur.execute("INSERT INTO trace_progress VALUES ('TR-OPEN','dealer',%s)", (NOW,))
    world.events = {"dead": ("FGE-JAL", "JAL-DEAD-1"), "duplicate": ("FGE-SON", "SON-DUP-1"),
                    "received": ("FGE-JAL", "JAL-RECEIVED-1"), "open": ("FGE-JAL", "JAL-OPEN-1"),
                    "completed": ("FGE-JAL", "TR-FGEJAL-1-FGE-JAL")}
    return world


ACCOUNTS = {  # name -> (agency, role)
    "jal": ("FGE-JAL", Role.ANALYST), "son": ("FGE-SON", Role.ANALYST), "chh": ("FGE-CHH", Role.ANALYST),
    "gdl": ("SSP-GDL", Role.ANALYST), "mex": ("FGE-MEX", Role.ANALYST), "fgr_analyst": ("FGR", Role.ANALYST),
    "jal_investigator": ("FGE-JAL", Role.INVESTIGATOR), "national": ("FGR", Role.NATIONAL_ANALYST),
    "ops": ("FGR", Role.OPS), "admin": ("ATF", Role.ADMIN), "revoked": ("FGE-JAL", Role.ANALYST),
    "expired": ("FGE-JAL", Role.ANALYST),
}
ANALYSTS = ("jal", "son", "chh", "gdl", "mex", "fgr_analyst")
AGENCY_OF = {name: agency for name, (agency, _) in ACCOUNTS.items()}


def add_agencies_and_accounts(conn, world: World) -> None:
    """The municipal agency, every account of ACCOUNTS (revoked and expired ones too)."""
    add_municipal_agency(conn, ADMIN, "SSP-GDL", "Policía de Guadalajara", "14", Accreditation.ACCREDITED)
    for name, (agency, role) in ACCOUNTS.items():
        account, token = create_account(conn, ADMIN, agency, role, f"test {name}", datetime.now(UTC))
        world.tokens[name], world.accounts[name] = token, account.account_id
    revoke_account(conn, ADMIN, world.accounts["revoked"], datetime.now(UTC))


def expire(owner_conn, world: World) -> None:
    """Move the 'expired' account's expiry into the past (as the owner: no API can do it)."""
    with owner_conn.cursor() as cur:
        cur.execute("UPDATE accounts SET expires_at = now() - interval '1 second' WHERE account_id = %s",
                    (world.accounts["expired"],))


def share(conn, agency: str, on: bool) -> None:
    """Switch an agency's state sharing (as an admin would)."""
    set_sharing(conn, ADMIN, agency, on)
