"""Canonical codes the vocabularies map raw agency text onto (shared by the normalisers and the generator)."""

from __future__ import annotations

from enum import StrEnum


class FirearmType(StrEnum):
    """Firearm type after normalisation; UNKNOWN when nothing usable was typed, OTHER for known oddities."""

    PISTOL = "PISTOL"
    REVOLVER = "REVOLVER"
    RIFLE = "RIFLE"
    SHOTGUN = "SHOTGUN"
    MACHINE_GUN = "MACHINE_GUN"
    SUBMACHINE_GUN = "SUBMACHINE_GUN"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


class SerialStatus(StrEnum):
    """Whether a usable serial number was reported (ATF form 3312.1 has an 'obliterated' flag)."""

    PRESENT = "PRESENT"
    OBLITERATED = "OBLITERATED"
    MISSING = "MISSING"


class CrimeCode(StrEnum):
    """Crime categories the pipeline reports on (a coarse stand-in for NCIC offence codes)."""

    HOMICIDE = "HOMICIDE"
    ASSAULT = "ASSAULT"
    DRUG_TRAFFICKING = "DRUG_TRAFFICKING"
    ILLEGAL_POSSESSION = "ILLEGAL_POSSESSION"
    KIDNAPPING = "KIDNAPPING"
    ROBBERY = "ROBBERY"
    ORGANIZED_CRIME = "ORGANIZED_CRIME"
    EXTORTION = "EXTORTION"
    FOUND_FIREARM = "FOUND_FIREARM"
    OTHER = "OTHER"


class SerialScope(StrEnum):
    """Within what a maker's serial numbers are unique: the whole maker, or each model family."""

    MAKER = "MAKER"
    MODEL_FAMILY = "MODEL_FAMILY"


class Platform(StrEnum):
    """Rifle families with their own colloquial names ('cuerno de chivo' for AK, 'R-15' for AR)."""

    AK = "AK"
    AR = "AR"
