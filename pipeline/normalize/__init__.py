"""Pure normalisers for the enrich stage: raw agency text in, canonical codes out.

Every function is deterministic and side-effect free; the vocabularies they match against are data
files in `pipeline.vocab`, read once per process and cached.
"""

from pipeline.normalize.firearm import (
    firearm_key,
    model_family,
    normalize_caliber,
    normalize_country,
    normalize_firearm_type,
    normalize_importer,
    normalize_maker,
    normalize_model,
)
from pipeline.normalize.incident import normalize_crime, normalize_sex, normalize_state
from pipeline.normalize.serial import normalize_serial
from pipeline.normalize.text import serial_edit_distance_one

__all__ = [
    "firearm_key",
    "model_family",
    "normalize_caliber",
    "normalize_country",
    "normalize_crime",
    "normalize_firearm_type",
    "normalize_importer",
    "normalize_maker",
    "normalize_model",
    "normalize_serial",
    "normalize_sex",
    "normalize_state",
    "serial_edit_distance_one",
]
