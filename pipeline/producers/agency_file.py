"""Turn an agency export (JSON Lines or CSV, English or Spanish column names) into seizure-event datums.

Every line is checked before anything is sent; a bad line becomes a LineError (line, field, reason in
English and Spanish), never an exception, so one typo does not stop a file of thousands.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pipeline.rules.text_rules import FREE_TEXT_FORBIDDEN, ID_LIMIT, TEXT_LIMIT, bad_identifier

# Top-level event fields, and the firearm / possessor sub-records, with the column names agencies use.
EVENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "agency_id": ("agencia", "id_agencia"),
    "event_id": ("folio", "id_evento"),
    "reported_at": ("fecha_reporte", "reportado"),
    "recovery_date": ("fecha_aseguramiento", "fecha_recuperacion"),
    "state": ("estado", "entidad"),
    "municipality": ("municipio",),
    "latitude": ("latitud",),
    "longitude": ("longitud",),
    "crime_type": ("delito", "tipo_delito"),
    "priority": ("prioridad",),
    "notes": ("notas", "observaciones"),
    "case_number": ("numero_caso", "carpeta_investigacion"),
}
FIREARM_COLUMNS: dict[str, tuple[str, ...]] = {
    "manufacturer": ("fabricante", "marca"),
    "importer": ("importador",),
    "model": ("modelo",),
    "caliber": ("calibre",),
    "serial": ("serie", "numero_serie", "matricula"),
    "firearm_type": ("tipo_arma", "tipo"),
    "country": ("pais", "pais_origen"),
}
POSSESSOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "full_name": ("possessor_name", "nombre_poseedor"),
    "birth_date": ("possessor_birth_date", "fecha_nacimiento_poseedor"),
    "sex": ("possessor_sex", "sexo_poseedor"),
}
REQUIRED = ("agency_id", "event_id", "recovery_date", "state", "crime_type")
ID_FIELDS = ("agency_id", "event_id")
# Files and bodies are decoded with errors="replace": a byte that is not UTF-8 becomes U+FFFD in its field.
REPLACEMENT_CHARACTER = "\ufffd"
PRIORITIES = {"ROUTINE": "ROUTINE", "RUTINA": "ROUTINE", "URGENT": "URGENT", "URGENTE": "URGENT"}

REASONS: dict[str, tuple[str, str]] = {
    "missing": ("required field is missing", "falta un campo obligatorio"),
    "bad_date": ("not a date (expected YYYY-MM-DD)", "no es una fecha (se espera AAAA-MM-DD)"),
    "bad_timestamp": ("not a timestamp (expected ISO 8601)", "no es una marca de tiempo (se espera ISO 8601)"),
    "bad_number": ("not a number", "no es un número"),
    "bad_priority": ("priority must be ROUTINE or URGENT", "la prioridad debe ser RUTINA o URGENTE"),
    "bad_json": ("line is not a JSON object", "la línea no es un objeto JSON"),
    "bad_type": ("must be text", "debe ser texto"),
    "too_long": (f"too long (at most {ID_LIMIT} characters for ids, {TEXT_LIMIT:,} otherwise)",
                 f"demasiado largo (máximo {ID_LIMIT} caracteres en identificadores, {TEXT_LIMIT:,} en otros campos)"),
    "bad_characters": ("contains control characters or invalid text",
                       "contiene caracteres de control o texto no válido"),
    "unknown_column": ("unknown column", "columna desconocida"),
    "bad_encoding": ("not valid UTF-8 text (save the file as UTF-8)",
                     "no es texto UTF-8 válido (guarde el archivo como UTF-8)"),
    "bad_csv": ("not a readable CSV row", "no es una fila CSV legible"),
}


@dataclass(frozen=True)
class LineError:
    """Why one line of an agency file was rejected (the value itself is not kept: it may be personal data)."""

    line: int
    field: str
    code: str

    def reason(self, lang: str = "en") -> str:
        """The reason in English or Spanish."""
        en, es = REASONS[self.code]
        return es if lang == "es" else en


@dataclass(frozen=True)
class ParsedLine:
    """One line of the file: a datum ready to encode, or the errors that keep it from being sent."""

    line: int
    datum: dict[str, Any] | None
    errors: tuple[LineError, ...] = ()


def _nested(row: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A JSON line's nested object (`firearm`, `possessor`); anything else counts as absent."""
    value = row.get(key)
    return value if isinstance(value, Mapping) else {}


def _lookup(row: Mapping[str, Any], canonical: str, aliases: tuple[str, ...]) -> Any:
    """The first present, non-blank value under the canonical name or an alias (non-text values as they are)."""
    for key in (canonical, *aliases):
        value = row.get(key)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return value
    return None


def _parse_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value).strip()[:10])


def _parse_number(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):  # "nan", "inf", 1e999: no place has such a coordinate
        raise ValueError("not a finite number")
    return number


def _parse_timestamp(value: Any) -> datetime:
    stamp = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


class _Collector:
    """Gathers the errors of one line while its fields are converted."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.errors: list[LineError] = []

    def convert(self, field: str, value: Any, parse: Any, code: str) -> Any:
        if value is None:
            return None
        if isinstance(value, bool | Mapping | list):
            self.errors.append(LineError(self.line, field, code))
            return None
        try:
            return parse(value)
        except (ValueError, TypeError, OverflowError):
            self.errors.append(LineError(self.line, field, code))
            return None

    def text(self, field: str, value: Any, limit: int = TEXT_LIMIT, numbers: tuple[type, ...] = (int,),
             strict: bool = False) -> str | None:
        """Text as the agency typed it (normalising is the pipeline's job), or None when blank or refused.

        A number stands for its digits (ids typed as numbers); objects, lists and booleans are refused. `strict`
        (ids, the serial) refuses line breaks, tabs and invisible characters too.
        """
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, *numbers)):
            self.errors.append(LineError(self.line, field, "bad_type"))
            return None
        text = str(value)
        if not text.strip():
            return None
        if len(text) > limit:
            self.errors.append(LineError(self.line, field, "too_long"))
            return None
        if bad_identifier(text) if strict else FREE_TEXT_FORBIDDEN.search(text):
            self.errors.append(LineError(self.line, field, "bad_characters"))
            return None
        if REPLACEMENT_CHARACTER in text:
            self.errors.append(LineError(self.line, field, "bad_encoding"))
            return None
        return text


def parse_row(row: Mapping[str, Any], line: int, now: datetime | None = None) -> ParsedLine:
    """Convert one row (flat CSV columns or a nested JSON object) into a SeizureEvent datum."""
    found = _Collector(line)
    nested_firearm = _nested(row, "firearm")
    nested_possessor = _nested(row, "possessor")
    flat = {k: _lookup(row, k, a) for k, a in EVENT_COLUMNS.items()}
    for key in ("agency_id", "event_id", "state", "crime_type", "municipality", "notes", "case_number"):
        flat[key] = found.text(key, flat[key], ID_LIMIT if key in ID_FIELDS else TEXT_LIMIT, strict=key in ID_FIELDS)
    for key in REQUIRED:
        if flat[key] is None and not any(error.field == key for error in found.errors):
            found.errors.append(LineError(line, key, "missing"))
    firearm = {k: found.text(f"firearm.{k}", _lookup(nested_firearm, k, ()) or _lookup(row, k, a),
                             numbers=(int, float), strict=k == "serial")  # a model or caliber typed as a number
               for k, a in FIREARM_COLUMNS.items()}
    possessor_raw = {k: _lookup(nested_possessor, k, ()) or _lookup(row, k, a) for k, a in POSSESSOR_COLUMNS.items()}
    possessor = None
    if any(v is not None for v in possessor_raw.values()):
        possessor = {
            "full_name": found.text("possessor.full_name", possessor_raw["full_name"]),
            "birth_date": found.convert("possessor.birth_date", possessor_raw["birth_date"], _parse_date, "bad_date"),
            "sex": found.text("possessor.sex", possessor_raw["sex"]),
        }
    raw_priority = flat["priority"] or "ROUTINE"
    priority = PRIORITIES.get(raw_priority.strip().upper()) if isinstance(raw_priority, str) else None
    if priority is None:
        found.errors.append(LineError(line, "priority", "bad_priority"))
    datum = {
        "agency_id": flat["agency_id"],
        "event_id": flat["event_id"],
        "reported_at": found.convert("reported_at", flat["reported_at"], _parse_timestamp, "bad_timestamp")
        or now or datetime.now(UTC),
        "recovery_date": found.convert("recovery_date", flat["recovery_date"], _parse_date, "bad_date"),
        "state": flat["state"],
        "municipality": flat["municipality"],
        "latitude": found.convert("latitude", flat["latitude"], _parse_number, "bad_number"),
        "longitude": found.convert("longitude", flat["longitude"], _parse_number, "bad_number"),
        "crime_type": flat["crime_type"],
        "priority": priority or "ROUTINE",
        "firearm": firearm,
        "possessor": possessor,
        "notes": flat["notes"],
        "case_number": flat["case_number"],
    }
    if found.errors:
        return ParsedLine(line, None, tuple(found.errors))
    return ParsedLine(line, datum)


def known_columns() -> set[str]:
    """Every column name (English and Spanish) the reader understands."""
    names = {"firearm", "possessor"}
    for table in (EVENT_COLUMNS, FIREARM_COLUMNS, POSSESSOR_COLUMNS):
        for canonical, aliases in table.items():
            names.update((canonical, *aliases))
    return names


RowParser = Callable[[Mapping[str, Any], int, datetime | None], ParsedLine]


def read_agency_file(path: Path, now: datetime | None = None) -> Iterator[ParsedLine]:
    """Parse a .jsonl/.json/.ndjson or .csv file line by line (1-based line numbers as an editor shows)."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            yield from read_csv_lines(handle, now)
    else:
        with path.open(encoding="utf-8", errors="replace") as handle:
            yield from read_jsonl_lines(handle, now)


def read_jsonl_lines(lines: Iterable[str], now: datetime | None = None,
                     parse: RowParser = parse_row) -> Iterator[ParsedLine]:
    """Parse JSON Lines text (a file, or a request body split into lines); blank lines are skipped."""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, an integer of thousands of digits, absurd nesting
            row = None
        if not isinstance(row, dict):
            yield ParsedLine(number, None, (LineError(number, "-", "bad_json"),))
            continue
        yield parse(row, number, now)


def read_csv_lines(lines: Iterable[str], now: datetime | None = None,
                   parse: RowParser = parse_row) -> Iterator[ParsedLine]:
    """Parse CSV text with a header row (a file opened with newline="", or io.StringIO(text, newline="")).

    A row the csv module cannot read (a field over its size limit) is one bad line; the rows after it are
    still read. An unreadable header rejects the file's first line and ends the file.
    """
    reader = csv.DictReader(lines)
    try:
        header = reader.fieldnames or ()
    except csv.Error:
        yield ParsedLine(1, None, (LineError(1, "-", "bad_csv"),))
        return
    unknown = sorted({(name or "").strip().lower() for name in header} - known_columns())
    while True:
        started = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield ParsedLine(started, None, (LineError(started, "-", "bad_csv"),))
            continue
        number = reader.line_num
        parsed = parse({(k or "").strip().lower(): v for k, v in row.items()}, number, now)
        if unknown and parsed.datum is not None and number == 2:
            # Report unknown columns once, on the first data line, without rejecting it.
            parsed = ParsedLine(number, parsed.datum, tuple(LineError(number, c, "unknown_column")
                                                            for c in unknown))
        yield parsed
