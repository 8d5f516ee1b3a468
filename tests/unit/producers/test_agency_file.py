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


def test_a_serial_or_id_with_a_line_break_is_refused_but_notes_keep_theirs():
    parsed = parse_row(row(serie="CS1\nFGR", folio="F-1\t", notas="dos\nlíneas"), 4)
    assert {(e.field, e.code) for e in parsed.errors} == {("firearm.serial", "bad_characters"),
                                                          ("event_id", "bad_characters")}


def test_bytes_that_were_not_utf8_are_refused_as_such():
    parsed = parse_row(row(serie="CS\ufffd1"), 2)
    assert [(e.field, e.code) for e in parsed.errors] == [("firearm.serial", "bad_encoding")]
    assert parsed.errors[0].reason("es").startswith("no es texto UTF-8")


def test_a_csv_row_over_the_field_limit_is_one_bad_line_and_the_rows_after_it_are_read():
    import io

    from pipeline.producers.agency_file import read_csv_lines

    text = ("agencia,folio,fecha_aseguramiento,estado,delito,serie\n"
            "FGR,F-1,2026-09-01,Sonora,robo,CS1\n"
            f'FGR,F-2,2026-09-01,Sonora,robo,"{"x" * 200_000}"\n'
            "FGR,F-3,2026-09-01,Sonora,robo,CS3\n")
    parsed = list(read_csv_lines(io.StringIO(text, newline="")))
    assert [(p.line, p.datum is not None, [e.code for e in p.errors]) for p in parsed] == [
        (2, True, []), (3, False, ["bad_csv"]), (4, True, [])]


def test_a_json_line_nested_too_deeply_or_a_giant_integer_is_one_bad_line_and_the_next_is_read():
    import json

    from pipeline.producers.agency_file import read_jsonl_lines

    good = json.dumps(row())
    lines = [good, '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", '{"folio": ' + "9" * 100_000 + "}", good]
    parsed = list(read_jsonl_lines(lines))
    assert [(p.line, p.datum is not None, [e.code for e in p.errors]) for p in parsed] == [
        (1, True, []), (2, False, ["bad_json"]), (3, False, ["bad_json"]), (4, True, [])]
