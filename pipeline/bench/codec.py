"""Measures encode/decode throughput of the two Avro libraries on realistic SeizureEvent datums.

The codec's DEFAULT_LIBRARY is chosen from these figures. Run: `python -m pipeline.bench.codec [n]`.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pipeline.contract import codec
from pipeline.contract.libraries import LIBRARIES
from pipeline.contract.registry import Record, default_registry

# (manufacturer as typed, model, caliber, firearm type as typed, country, importer)
_FIREARMS = (
    ("GLOCK", "19", "9mm", "pistola", "Austria", "Glock Inc."),
    ("Century Arms", "WASR-10", "7.62x39", "rifle", "Rumania", "Century International Arms"),
    ("TAURUS", "PT92", "9 mm", "pistola", "Brasil", "Taurus International"),
    ("Colt", "AR-15", ".223", "fusil", "USA", None),
    ("Colt", "Government", ".38 Super", "pistola", "Estados Unidos", None),
    ("Smith & Wesson", "M&P15", "5.56", "rifle", "USA", None),
    ("Ruger", "SR9", "9mm", "Pistol", "USA", None),
    ("Mossberg", "500", "12 GA", "escopeta", "USA", None),
    ("Barrett", "M82", ".50 BMG", "rifle", "USA", None),
    ("sin marca", None, "calibre 38", "revolver", None, None),
)
_PLACES = (
    ("Chihuahua", "Ciudad Juárez", 31.69, -106.42),
    ("Sinaloa", "Culiacán", 24.80, -107.39),
    ("Tamaulipas", "Reynosa", 26.09, -98.28),
    ("JALISCO", "Guadalajara", 20.67, -103.35),
    ("Sonora", "Nogales", 31.31, -110.94),
    ("Baja California", "Tijuana", 32.51, -117.04),
    ("Guanajuato", None, None, None),
)
_CRIMES = ("homicidio", "portación ilegal de arma", "delincuencia organizada", "robo con violencia")
_AGENCIES = ("FGR", "FGE-CHIH", "FGE-SIN", "FGE-TAMPS", "FGE-JAL", "FGE-SON", "FGE-BC", "FGE-GTO")


def sample_seizure_events(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Deterministic SeizureEvent v2 datums shaped like agency submissions (mixed languages, gaps)."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    events = []
    for index in range(count):
        maker, model, caliber, kind, country, importer = rng.choice(_FIREARMS)
        state, municipality, latitude, longitude = rng.choice(_PLACES)
        reported_at = start + timedelta(minutes=rng.randrange(500_000), milliseconds=rng.randrange(1000))
        agency = rng.choice(_AGENCIES)
        events.append(
            {
                "agency_id": agency,
                "event_id": f"{agency}-{index:07d}",
                "reported_at": reported_at,
                "recovery_date": reported_at.date() - timedelta(days=rng.randrange(30)),
                "state": state,
                "municipality": municipality,
                "latitude": latitude,
                "longitude": longitude,
                "crime_type": rng.choice(_CRIMES),
                "priority": "URGENT" if rng.random() < 0.1 else "ROUTINE",
                "firearm": {
                    "manufacturer": maker,
                    "importer": importer,
                    "model": model,
                    "caliber": caliber,
                    "serial": None if rng.random() < 0.05 else f"{rng.choice('ABKMX')}{rng.randrange(10**6):06d}",
                    "firearm_type": kind,
                    "country": country,
                },
                "possessor": _possessor(rng) if rng.random() < 0.6 else None,
                "notes": "número de serie parcialmente limado" if rng.random() < 0.1 else None,
                "case_number": f"CI-{rng.randrange(10**5):05d}/2024" if rng.random() < 0.7 else None,
            }
        )
    return events


def _possessor(rng: random.Random) -> dict[str, Any]:
    given, family = rng.choice(("José", "María", "Juan", "Ana")), rng.choice(("Pérez", "López", "García"))
    return {
        "full_name": f"{given} {family}",
        "birth_date": date(1970, 1, 1) + timedelta(days=rng.randrange(15_000)),
        "sex": rng.choice(("M", "F", None)),
    }


def _timed_row(library: str, op: str, records: int, seconds: float) -> dict[str, Any]:
    return {
        "library": library,
        "op": op,
        "records": records,
        "seconds": round(seconds, 4),
        "records_per_s": round(records / seconds) if seconds else None,
    }


def run_codec_bench(n: int) -> list[dict[str, Any]]:
    """Encode then decode `n` SeizureEvents with each library; one row per (library, op)."""
    datums = sample_seizure_events(n)
    schema = default_registry().latest(Record.SEIZURE_EVENT)
    rows = []
    for library in LIBRARIES:
        began = time.perf_counter()
        payloads = [codec.encode(schema, datum, library=library) for datum in datums]
        rows.append(_timed_row(library, "encode", n, time.perf_counter() - began))
        began = time.perf_counter()
        for payload in payloads:
            codec.decode(payload, schema, library=library)
        rows.append(_timed_row(library, "decode", n, time.perf_counter() - began))
    return rows


def main(argv: list[str]) -> None:
    """Print the benchmark as a table."""
    count = int(argv[0]) if argv else 20_000
    print(f"{'library':<10}{'op':<8}{'records':>9}{'seconds':>10}{'records/s':>12}")
    for row in run_codec_bench(count):
        print(f"{row['library']:<10}{row['op']:<8}{row['records']:>9}{row['seconds']:>10.3f}{row['records_per_s']:>12}")


if __name__ == "__main__":
    main(sys.argv[1:])
