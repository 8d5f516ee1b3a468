"""Properties of every normaliser over hostile text: never raise, idempotent, output in the canonical vocabulary."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import normalize
from pipeline.vocab import CrimeCode, FirearmType, load_vocabulary

VOCAB = load_vocabulary()
MAKERS = {maker.code for maker in VOCAB.makers}
IMPORTERS = {importer.code for importer in VOCAB.importers}
CALIBERS = {caliber.code for caliber in VOCAB.calibers}
STATES = {state.code for state in VOCAB.states}
COUNTRIES = {country.code for country in VOCAB.countries}
SEXES = {sex.code for sex in VOCAB.sexes}
# Hostile text: control characters and NUL, mixed scripts, combining marks, huge strings, or None.
HOSTILE = st.one_of(st.none(), st.text(max_size=60),
                    st.text(alphabet=st.characters(codec="utf-8", categories=("Cc", "Cf", "Mn", "Zs", "So")),
                            max_size=30),
                    st.sampled_from(["\x00", "Glock\x00", "ГЛОК", "グロック", "Smith & Wesson\u202e", "A" * 5000,
                                     "9mm" * 900]))


@settings(max_examples=300)
@given(HOSTILE)
def test_single_field_normalisers_never_raise_and_return_canonical_codes(text):
    for normaliser, vocabulary in ((normalize.normalize_maker, MAKERS), (normalize.normalize_importer, IMPORTERS),
                                   (normalize.normalize_caliber, CALIBERS), (normalize.normalize_state, STATES),
                                   (normalize.normalize_country, COUNTRIES), (normalize.normalize_sex, SEXES)):
        code = normaliser(text)
        assert code is None or code in vocabulary, (normaliser.__name__, text, code)
    assert normalize.normalize_firearm_type(text) in {t.value for t in FirearmType}
    assert normalize.normalize_crime(text) in {c.value for c in CrimeCode}


@settings(max_examples=300)
@given(HOSTILE)
def test_normalising_a_canonical_value_again_changes_nothing(text):
    for normaliser in (normalize.normalize_maker, normalize.normalize_importer, normalize.normalize_caliber,
                       normalize.normalize_state, normalize.normalize_country):
        code = normaliser(text)
        if code is not None:
            assert normaliser(code) == code, (normaliser.__name__, text, code)
    serial, _ = normalize.normalize_serial(text)
    if serial is not None:
        assert normalize.normalize_serial(serial)[0] == serial


@settings(max_examples=300)
@given(HOSTILE, HOSTILE, HOSTILE)
def test_firearm_key_never_raises_and_is_none_without_a_serial(maker, serial, model):
    key = normalize.firearm_key(maker, serial, model)
    if normalize.normalize_serial(serial)[0] is None:
        assert key is None
    else:
        assert isinstance(key, str) and "|" in key
