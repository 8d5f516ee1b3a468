"""Where seizures are published: an agency's own topic with Kafka security on, else the shared raw topic."""

from __future__ import annotations

from pipeline.kafka_access import principals
from pipeline.producers.submissions_topic import submissions_topic
from pipeline.settings import Settings

SECURED = Settings.from_env({"TRACEPIPE_KAFKA_SECURITY": "scram", "TRACEPIPE_NAMESPACE": "ns."})


def test_the_api_publishes_to_the_callers_agency_topic_when_secured():
    assert submissions_topic(SECURED, "FGE-JAL") == "ns.seizures.raw.FGE-JAL"
    assert submissions_topic(SECURED.with_changes(kafka_security="none"), "FGE-JAL") == "ns.seizures.raw"


def test_a_tool_publishes_as_the_agency_its_principal_names():
    as_agency = SECURED.with_changes(kafka_user=principals.agency("ATF"))
    assert submissions_topic(as_agency) == "ns.seizures.raw.ATF"
    assert submissions_topic(SECURED.with_changes(kafka_user=principals.ADMIN)) == "ns.seizures.raw"
    assert submissions_topic(SECURED) == "ns.seizures.raw"


def test_agency_principals_are_told_apart():
    assert principals.agency_of(principals.agency("FGE-JAL")) == "FGE-JAL"
    assert principals.agency_of("agency-") is None
    assert principals.agency_of(principals.processor("intake")) is None
