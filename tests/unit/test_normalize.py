"""Normalisers: every vocabulary spelling maps home, real messy spellings resolve, ambiguity stays None."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.normalize import (
    firearm_key,
    model_family,
    normalize_caliber,
    normalize_country,
    normalize_crime,
    normalize_firearm_type,
    normalize_importer,
    normalize_maker,
    normalize_model,
    normalize_serial,
    normalize_sex,
    normalize_state,
    serial_edit_distance_one,
)
from pipeline.normalize.matcher import AliasMatcher
from pipeline.normalize.text import compact, edit_distance, fold
from pipeline.vocab import CrimeCode, FirearmType, SerialScope, SerialStatus, load_vocabulary

VOCAB = load_vocabulary()


def _cases(entries, attribute="aliases", with_typos=True):
    return [
        pytest.param(text, entry.code, id=f"{entry.code}:{text}")
        for entry in entries
        for text in (*getattr(entry, attribute), *(entry.typos if with_typos else ()))
    ]


# --- every vocabulary spelling (and listed typo) comes home ------------------------------------------


@pytest.mark.parametrize(("text", "code"), _cases(VOCAB.makers))
def test_every_maker_alias_and_typo_resolves(text, code):
    assert normalize_maker(text) == code


@pytest.mark.parametrize(("text", "code"), _cases(VOCAB.importers))
def test_every_importer_alias_and_typo_resolves(text, code):
    assert normalize_importer(text) == code


@pytest.mark.parametrize(("text", "code"), _cases(VOCAB.states))
def test_every_state_alias_and_typo_resolves(text, code):
    assert normalize_state(text) == code


@pytest.mark.parametrize(("text", "code"), _cases(VOCAB.calibers, with_typos=False))
def test_every_caliber_spelling_resolves(text, code):
    assert normalize_caliber(text) == code


@pytest.mark.parametrize(("text", "code"), _cases(VOCAB.crimes, with_typos=False))
def test_every_crime_alias_resolves(text, code):
    assert normalize_crime(text) == code


@pytest.mark.parametrize(("text", "code"), _cases(VOCAB.countries, with_typos=False))
def test_every_country_alias_resolves(text, code):
    assert normalize_country(text) == code


@pytest.mark.parametrize("spelling", VOCAB.firearm_types, ids=lambda s: s.spelling)
def test_every_firearm_type_spelling_resolves(spelling):
    assert normalize_firearm_type(spelling.spelling) == spelling.firearm_type


def test_typos_really_go_through_the_fuzzy_match():
    # Typos are not indexed: they prove the edit-distance fallback, not a lookup table.
    for maker in VOCAB.makers:
        for typo in maker.typos:
            assert fold(typo) not in {fold(a) for a in (maker.name, *maker.aliases)}, typo


@pytest.mark.parametrize(
    ("maker", "model", "text"),
    [
        pytest.param(maker.code, model.name, text, id=f"{maker.code}:{text}")
        for maker in VOCAB.makers
        for model in maker.models
        for alias in (model.name, *model.aliases)
        for text in (alias, f"{maker.name} {alias}", f"Modelo {alias}", f"Mod. {alias.lower()}")
    ],
)
def test_every_model_alias_resolves_within_its_maker(maker, model, text):
    assert normalize_model(text, maker) == model


def test_a_stuck_key_in_a_model_never_names_another_model():
    # The generator mistypes models by doubling a character; that may be unreadable, never wrong.
    for maker in VOCAB.makers:
        for model in maker.models:
            for alias in (model.name, *model.aliases):
                for i, char in enumerate(alias):
                    if char.isalnum():
                        typed = alias[: i + 1] + char + alias[i + 1 :]
                        assert normalize_model(typed, maker.code) in (model.name, None), typed


def test_canonical_values_normalise_to_themselves():
    for maker in VOCAB.makers:
        assert normalize_maker(maker.code) == maker.code
    for caliber in VOCAB.calibers:
        assert normalize_caliber(caliber.code) == caliber.code
    for state in VOCAB.states:
        assert normalize_state(state.code) == state.code
    for code in CrimeCode:
        assert normalize_crime(code) == code
    for code in FirearmType:
        assert normalize_firearm_type(code) == code


def test_vocabulary_has_32_states_with_inegi_codes_and_22_accredited():
    assert [s.code for s in VOCAB.states] == [f"{n:02d}" for n in range(1, 33)]
    assert VOCAB.state("15").name == "México" and VOCAB.state("09").name == "Ciudad de México"
    assert sum(s.accredited for s in VOCAB.states) == 22
    assert not VOCAB.state("12").accredited  # Guerrero


def test_every_maker_has_typos_models_and_a_known_importer():
    importers = {i.code for i in VOCAB.importers}
    calibers = {c.code for c in VOCAB.calibers}
    for maker in VOCAB.makers:
        assert maker.typos and maker.models and maker.serial_formats
        assert maker.importer is None or maker.importer in importers
        assert maker.us_made == (maker.importer is None) or maker.code == "NORINCO"
        for model in maker.models:
            assert {c for c, _ in model.calibers} <= calibers, model.name


# --- real-world messy spellings -------------------------------------------------------------------------

MESSY_MAKERS = [
    ("GLOCK GES.M.B.H.", "GLOCK"),
    ("glok", "GLOCK"),
    ("Glock Inc.", "GLOCK"),
    ("GLOCK, INC. SMYRNA GA", "GLOCK"),
    ("Glock 19", "GLOCK"),
    ("S&W", "SMITH_WESSON"),
    ("s & w", "SMITH_WESSON"),
    ("Smith and Wesson", "SMITH_WESSON"),
    ("SMITH WESON", "SMITH_WESSON"),
    ("Smith&Wesson M&P", "SMITH_WESSON"),
    ("Sturm, Ruger & Co., Inc.", "STURM_RUGER"),
    ("RUGER", "STURM_RUGER"),
    ("Century International Arms", "CENTURY_ARMS"),
    ("C.A.I.", "CENTURY_ARMS"),
    ("ROMARM/CUGIR", "CUGIR"),
    ("Colt's Mfg. Co.", "COLT"),
    ("Forjas Taurus S.A.", "TAURUS"),
    ("Pietro Beretta Gardone V.T.", "BERETTA"),
    ("Remington 870", "REMINGTON"),
    ("F.N. Herstal", "FN_HERSTAL"),
    ("Norinco (China)", "NORINCO"),
    ("Česká zbrojovka", "CZ"),
    ("Heckler u. Koch", "HECKLER_KOCH"),
    ("bushmaster firearms intl.", "BUSHMASTER"),
]


@pytest.mark.parametrize(("text", "code"), MESSY_MAKERS)
def test_messy_maker_spellings(text, code):
    assert normalize_maker(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "Berreta",  # two edits from Beretta and from Barrett: not our call
        "CAI/ROMARM",  # importer and maker in one field
        "Desconocida",
        "S/M",
        "",
        None,
        "12345",
    ],
)
def test_unknown_or_ambiguous_makers_are_none(text):
    assert normalize_maker(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("9 mm", "9MM"),
        ("9MM", "9MM"),
        ("9x19", "9MM"),
        ("9mm Luger", "9MM"),
        ("9 mm Parabellum", "9MM"),
        ("Cal. 9 mm.", "9MM"),
        ("38 SUPER", ".38 SUPER"),
        ("super 38", ".38 SUPER"),
        (".38 Súper", ".38 SUPER"),
        ("5.56x45", "5.56/.223"),
        (".223", "5.56/.223"),
        ("223 Rem", "5.56/.223"),
        ("5,56 mm", "5.56/.223"),
        ("7.62 x 39", "7.62X39"),
        ("7,62x39mm", "7.62X39"),
        ("50 BMG", ".50 BMG"),
        (".50 cal", ".50 BMG"),
        ("12.7x99", ".50 BMG"),
        (".45 ACP", ".45 ACP"),
        ("11.43 mm", ".45 ACP"),
        (".40 S&W", ".40 S&W"),
        (".380 ACP", ".380 ACP"),
        ("9 mm corto", ".380 ACP"),
        (".22 LR", ".22 LR"),
        ("calibre 12", "12 GA"),
        ("12 GA", "12 GA"),
        (".308 Win", "7.62X51/.308"),
        ("7.62x51", "7.62X51/.308"),
        ("5.7x28", "5.7X28"),
    ],
)
def test_messy_caliber_spellings(text, code):
    assert normalize_caliber(text) == code


@pytest.mark.parametrize("text", ["38", ".38", "7.62", "cuerno de chivo", "AK-47", "grueso", "", None])
def test_ambiguous_or_non_calibers_are_none(text):
    # 'cuerno de chivo' is a rifle, not a caliber; '.38' could be Special or Super.
    assert normalize_caliber(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("pistola", "PISTOL"),
        ("Pistol", "PISTOL"),
        ("arma corta", "PISTOL"),
        ("PISTOLA ESCUADRA 9MM", "PISTOL"),
        ("revólver", "REVOLVER"),
        ("Revolver", "REVOLVER"),
        ("fusil", "RIFLE"),
        ("carabina", "RIFLE"),
        ("Cuerno de Chivo", "RIFLE"),
        ("AR-15", "RIFLE"),
        ("R-15", "RIFLE"),
        ("escopeta", "SHOTGUN"),
        ("ametralladora", "MACHINE_GUN"),
        ("subametralladora", "SUBMACHINE_GUN"),
        ("sub-ametralladora", "SUBMACHINE_GUN"),
        ("metralleta", "SUBMACHINE_GUN"),
        ("pitola", "PISTOL"),
        ("lanzagranadas", "OTHER"),
        ("desconocido", "UNKNOWN"),
        ("", "UNKNOWN"),
        (None, "UNKNOWN"),
        ("zzz", "UNKNOWN"),
    ],
)
def test_firearm_types(text, code):
    assert normalize_firearm_type(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Nuevo León", "19"),
        ("NUEVO LEON", "19"),
        ("N.L.", "19"),
        ("nl", "19"),
        ("Edo. de México", "15"),
        ("Estado de Mexico", "15"),
        ("EDOMEX", "15"),
        ("CDMX", "09"),
        ("D.F.", "09"),
        ("Ciudad de Mexico", "09"),
        ("B.C.S.", "03"),
        ("BC", "02"),
        ("Q. Roo", "23"),
        ("Qro.", "22"),
        ("Mich.", "16"),
        ("Michoacan de Ocampo", "16"),
        ("Chih.", "08"),
        ("Chiuahua", "08"),
        ("Tamps.", "28"),
        ("Coah.", "05"),
        ("S.L.P.", "24"),
        ("Sin.", "25"),
        ("Son.", "26"),
        ("Zac.", "32"),
        ("Gto.", "11"),
        ("Jal.", "14"),
        ("JALISCO ", "14"),
        ("Yuc.", "31"),
        ("Estado Libre y Soberano de Chihuahua", "08"),
        ("Veracruz de Ignacio de la Llave", "30"),
        ("19", "19"),
    ],
)
def test_messy_state_spellings(text, code):
    assert normalize_state(text) == code


@pytest.mark.parametrize(
    "text",
    ["Texas", "Arizona", "California", "Nuevo México", "New Mexico", "Guatemala", "XX", "N/D", "Sin dato", "", None],
)
def test_places_outside_mexico_are_not_states(text):
    assert normalize_state(text) is None


def test_unknown_states_the_generator_emits_are_unknown():
    from pipeline.producers.scenario.shares import load_shares

    for text in load_shares().unknown_states:
        assert normalize_state(text) is None, text


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("homicidio", "HOMICIDE"),
        ("Homicidio doloso con arma de fuego", "HOMICIDE"),
        ("Homicide", "HOMICIDE"),
        ("HOMICIDO", "HOMICIDE"),
        ("portación ilegal", "ILLEGAL_POSSESSION"),
        ("PORTACION DE ARMA DE FUEGO DE USO EXCLUSIVO DEL EJERCITO", "ILLEGAL_POSSESSION"),
        ("narcomenudeo", "DRUG_TRAFFICKING"),
        ("Contra la salud en su modalidad de narcomenudeo", "DRUG_TRAFFICKING"),
        ("lesiones", "ASSAULT"),
        ("secuestro", "KIDNAPPING"),
        ("robo con violencia", "ROBBERY"),
        ("delincuencia organizada", "ORGANIZED_CRIME"),
        ("extorsión", "EXTORTION"),
        ("arma asegurada", "FOUND_FIREARM"),
        ("Hallazgo", "FOUND_FIREARM"),
        ("secuestro y homicidio", "KIDNAPPING"),  # the first named crime wins
        ("daño en propiedad ajena", "OTHER"),
        ("???", "OTHER"),
        (None, "OTHER"),
    ],
)
def test_crimes(text, code):
    assert normalize_crime(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("EE.UU.", "USA"),
        ("E.U.A.", "USA"),
        ("Estados Unidos", "USA"),
        ("Brasil", "BRA"),
        ("Rumanía", "ROU"),
        ("Bélgica", "BEL"),
        ("Yugoslavia", "SRB"),
        ("EU", None),
        ("", None),
    ],
)
def test_countries(text, code):
    assert normalize_country(text) == code


@pytest.mark.parametrize(
    ("text", "code"), [("H", "MALE"), ("Masculino", "MALE"), ("F", "FEMALE"), ("Mujer", "FEMALE"), ("M", None)]
)
def test_sex_with_the_h_m_versus_m_f_trap(text, code):
    assert normalize_sex(text) == code


@pytest.mark.parametrize(
    ("text", "maker", "model"),
    [
        ("Glock 17 Gen 4", "Glock", "G17"),
        ("G-17", "GLOCK", "G17"),
        ("17", "glok", "G17"),
        ("MODELO 19 GEN5", "GLOCK", "G19"),
        ("M&P 9", "S&W", "M&P9"),
        ("S&W M&P 40", "SMITH_WESSON", "M&P40"),
        ("PT-92 AFS", "Taurus", "PT92"),
        ("WASR 10/63", "Cugir", "WASR-10"),
        ("AK-47", "ROMARM", "WASR-10"),
        ("AK-47", "Norinco", "TYPE 56"),
        ("Super 38", "Colt", "GOVERNMENT"),
        ("Star Super Star", "Star", "SUPER STAR"),
        ("870 Express Magnum", "Remington", None),
        ("870 Wingmaster", "Remington", "870"),
        ("PT92", None, "PT92"),
        ("AR-15", None, None),  # many makers have one
        (None, "Glock", None),
    ],
)
def test_models(text, maker, model):
    assert normalize_model(text, maker) == model


# --- serials ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ABC123", ("ABC123", "PRESENT")),
        ("abc 123", ("ABC123", "PRESENT")),
        ("123-45678", ("12345678", "PRESENT")),
        ("1-AB1234-07", ("1AB123407", "PRESENT")),
        ("No. de serie: XD-123.456", ("XD123456", "PRESENT")),
        ("S/N ABC123", ("ABC123", "PRESENT")),
        ("Matrícula: 12345", ("12345", "PRESENT")),
        ("#LGC012345", ("LGC012345", "PRESENT")),
        ("SN12345", ("SN12345", "PRESENT")),  # a serial that starts with SN keeps it
        ("NO12345", ("NO12345", "PRESENT")),
        ("LIMADO", (None, "OBLITERATED")),
        ("limada", (None, "OBLITERATED")),
        ("Serie limada", (None, "OBLITERATED")),
        ("ILEGIBLE", (None, "OBLITERATED")),
        ("borrado", (None, "OBLITERATED")),
        ("OBLITERATED", (None, "OBLITERATED")),
        ("erased", (None, "OBLITERATED")),
        ("ground-off", (None, "OBLITERATED")),
        ("GROUND OFF", (None, "OBLITERATED")),
        ("ABC12? (parcialmente limado)", (None, "OBLITERATED")),
        ("S/N", (None, "MISSING")),
        ("s/n", (None, "MISSING")),
        ("SIN NUMERO", (None, "MISSING")),
        ("Sin número de serie", (None, "MISSING")),
        ("SIN SERIE", (None, "MISSING")),
        ("N/A", (None, "MISSING")),
        ("NONE", (None, "MISSING")),
        ("", (None, "MISSING")),
        ("  -- ", (None, "MISSING")),
        ("000000", (None, "MISSING")),
        (None, (None, "MISSING")),
    ],
)
def test_serials(text, expected):
    serial, status = normalize_serial(text)
    assert (serial, status) == (expected[0], SerialStatus(expected[1]))


@given(st.text())
def test_serials_are_clean_or_absent_for_any_text(text):
    serial, status = normalize_serial(text)
    assert (serial is None) == (status is not SerialStatus.PRESENT)
    assert serial is None or (serial.isalnum() and serial.isascii() and serial == serial.upper())


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("ABC123", "ABC124", True),  # substitution
        ("ABC123", "ABC1234", True),  # insertion
        ("ABC123", "AB123", True),  # deletion
        ("ABC123", "ABC213", True),  # adjacent transposition
        ("ABC123", "ABC123", False),  # equal is an exact duplicate, not a possible one
        ("ABC123", "ABC321", False),
        ("ABC123", "XBC12Y", False),
        ("ABC123", "ABC12", True),
        ("", "A", True),
    ],
)
def test_serial_edit_distance_one(a, b, expected):
    assert serial_edit_distance_one(a, b) is expected
    assert serial_edit_distance_one(b, a) is expected


@given(st.text("AB12", max_size=7), st.text("AB12", max_size=7))
def test_serial_edit_distance_one_agrees_with_full_distance(a, b):
    assert serial_edit_distance_one(a, b) == (edit_distance(a, b, 3) == 1)


@given(st.text("ABCXYZ0123456789", min_size=1, max_size=10), st.data())
def test_any_single_edit_is_distance_one(serial, data):
    i = data.draw(st.integers(0, len(serial) - 1))
    char = data.draw(st.sampled_from("ABCXYZ0123456789"))
    edited = data.draw(
        st.sampled_from(
            [serial[:i] + char + serial[i + 1 :], serial[:i] + serial[i + 1 :], serial[:i] + char + serial[i:]]
        )
    )
    assert serial_edit_distance_one(serial, edited) == (edited != serial)


# --- firearm identity -----------------------------------------------------------------------------------


def test_firearm_key_is_maker_and_serial_for_most_makers():
    assert firearm_key("Glock", "ABC-123", "G17") == "GLOCK|ABC123"
    # a different (or mistyped, or missing) model is still the same Glock
    assert firearm_key("GLOCK GES.M.B.H.", "abc 123", "G177") == "GLOCK|ABC123"
    assert firearm_key("glok", "S/N ABC123", None) == "GLOCK|ABC123"
    assert firearm_key("Glock", "ABC123", "G17") != firearm_key("Taurus", "ABC123", "G17")
    assert firearm_key("Glock", "ABC123", "G17") != firearm_key("Glock", "ABC124", "G17")


def test_firearm_key_adds_the_model_family_for_makers_that_reuse_serials():
    remington = VOCAB.maker("REMINGTON")
    assert remington.serial_scope is SerialScope.MODEL_FAMILY
    shotgun = firearm_key("Remington", "A123456M", "870 Express")
    assert shotgun == "REMINGTON|870|A123456M" == firearm_key("REMINGTON ARMS CO", "A-123456-M", "Wingmaster")
    assert firearm_key("Remington", "A123456M", "Model 700") == "REMINGTON|700|A123456M" != shotgun
    assert firearm_key("Remington", "A123456M", None) == "REMINGTON|?|A123456M"
    assert model_family("REMINGTON", "870") == "870"


def test_firearm_key_needs_a_serial():
    assert firearm_key("Glock", "LIMADO", "G17") is None
    assert firearm_key("Glock", "S/N", "G17") is None
    assert firearm_key("Glock", None, "G17") is None
    assert firearm_key("Acme Guns", "ABC123", None) == "UNKNOWN|ABC123"


# --- robustness -----------------------------------------------------------------------------------------


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_normalisers_never_raise_and_return_known_codes(text):
    makers = {m.code for m in VOCAB.makers}
    assert normalize_maker(text) in makers | {None}
    assert normalize_importer(text) in {i.code for i in VOCAB.importers} | {None}
    assert normalize_state(text) in {s.code for s in VOCAB.states} | {None}
    assert normalize_caliber(text) in {c.code for c in VOCAB.calibers} | {None}
    assert normalize_firearm_type(text) in set(FirearmType)
    assert normalize_crime(text) in set(CrimeCode)
    assert normalize_model(text, "GLOCK") in {m.name for m in VOCAB.maker("GLOCK").models} | {None}


@settings(max_examples=300)
@given(
    st.sampled_from([a for m in VOCAB.makers for a in (m.name, *m.aliases) if len(compact(fold(a))) >= 7]), st.data()
)
def test_one_slip_in_a_long_maker_name_is_never_another_maker(alias, data):
    i = data.draw(st.integers(0, len(alias) - 1))
    char = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    typed = data.draw(st.sampled_from([alias[:i] + char + alias[i + 1 :], alias[:i] + alias[i + 1 :]]))
    assert normalize_maker(typed) in (normalize_maker(alias), None)


@pytest.mark.parametrize(
    ("text", "folded"),
    [("S&W", "SW"), ("N.L.", "NL"), ("GLOCK GES.M.B.H.", "GLOCK GES MBH"), ("Colt's", "COLTS"), ("León", "LEON")],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_conflicting_aliases_are_a_vocabulary_error():
    with pytest.raises(ValueError, match="names both"):
        AliasMatcher.build([("A", ["Star"]), ("B", ["STAR"])])
