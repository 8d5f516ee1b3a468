from datetime import date

from pipeline.producers.agency_file import parse_row


def row(**changes):
    base = {"agencia": "FGR", "folio": "F-1", "fecha_aseguramiento": "2026-09-01", "estado": "Sonora",
            "delito": "portación", "marca": "Colt", "serie": "CS1"}
    base.update(changes)
    return base


def test_spanish_columns_become_the_event():
    parsed = parse_row(row(prioridad="Urgente", latitud="29.1", longitud="-110.9"), 2)
    assert parsed.errors == ()
    assert parsed.datum["agency_id"] == "FGR" and parsed.datum["recovery_date"] == date(2026, 9, 1)
    assert parsed.datum["firearm"]["manufacturer"] == "Colt" and parsed.datum["priority"] == "URGENT"
    assert parsed.datum["latitude"] == 29.1


def test_whitespace_only_required_field_is_missing():
    parsed = parse_row(row(delito="   "), 5)
    assert parsed.datum is None
    assert [(e.line, e.field, e.code) for e in parsed.errors] == [(5, "crime_type", "missing")]


def test_errors_in_both_languages_and_no_values_kept():
    parsed = parse_row(row(fecha_aseguramiento="ayer", latitud="norte"), 3)
    codes = {(e.field, e.code) for e in parsed.errors}
    assert codes == {("recovery_date", "bad_date"), ("latitude", "bad_number")}
    error = parsed.errors[0]
    assert error.reason("en") != error.reason("es")
    assert "ayer" not in repr(parsed.errors)
