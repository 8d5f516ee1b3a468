"""Attribution: on an agency's own topic, a record naming another agency is dead-lettered AGENCY_MISMATCH;
on seizures.raw (trusted tools, security off) the record's agency_id is taken as written."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.contract.codec import decode, encode
from pipeline.contract.envelope import Incoming
from pipeline.contract.registry import Record, default_registry, sample_datum
from pipeline.processors.intake import intake_record
from pipeline.rules.attribution import attribution_rejection
from pipeline.rules.validate import RejectReason
from pipeline.topology import SEIZURES_DEAD_LETTER, SEIZURES_ENRICHED


def seizure(agency_id: str) -> bytes:
    event = sample_datum(default_registry().latest(Record.SEIZURE_EVENT))
    event.update(agency_id=agency_id, event_id="EV-1", state="Jalisco", crime_type="portación ilegal",
                 priority="ROUTINE",
                 reported_at=datetime(2024, 7, 3, 12, tzinfo=UTC), recovery_date=date(2024, 7, 2))
    event["firearm"].update(manufacturer="Glock", serial="ABC123")
    return encode(Record.SEIZURE_EVENT, event)


def intake_on(topic: str, agency_id: str):
    [out] = intake_record(Incoming(topic, 0, 7, b"k", seizure(agency_id), 1_720_000_000_000))
    return out


def test_the_sender_is_whoever_the_record_names_on_the_shared_topic():
    assert attribution_rejection({"agency_id": "FGR"}, None) is None
    assert intake_on("ns.seizures.raw", "FGE-CHH").topic == SEIZURES_ENRICHED.name


def test_an_agency_may_send_its_own_seizures_on_its_topic():
    assert attribution_rejection({"agency_id": "FGE-JAL"}, "FGE-JAL") is None
    assert intake_on("ns.seizures.raw.FGE-JAL", "FGE-JAL").topic == SEIZURES_ENRICHED.name


@pytest.mark.parametrize("named", ["FGE-CHH", "fge-jal", "", None])
def test_a_seizure_naming_another_agency_is_refused_in_both_languages(named):
    why = attribution_rejection({"agency_id": named}, "FGE-JAL")
    assert why is not None and why.reason is RejectReason.AGENCY_MISMATCH
    assert "FGE-JAL" in why.message_en and "FGE-JAL" in why.message_es
    assert "tópico propio" in why.message_es


def test_a_long_or_odd_agency_id_is_not_echoed():
    why = attribution_rejection({"agency_id": "Juan Pérez " * 10}, "FGE-JAL")
    assert why is not None and "Juan" not in why.message_en and "Juan" not in why.message_es


def test_intake_dead_letters_a_mismatch_with_the_new_reason():
    out = intake_on("ns.seizures.raw.FGE-JAL", "FGE-CHH")
    assert out.topic == SEIZURES_DEAD_LETTER.name
    letter = decode(out.value, Record.DEAD_LETTER)
    assert letter["reason_code"] == RejectReason.AGENCY_MISMATCH.value
    assert letter["source_topic"] == "ns.seizures.raw.FGE-JAL"
    assert "FGE-CHH" in letter["message_en"] and "FGE-CHH" in letter["message_es"]
