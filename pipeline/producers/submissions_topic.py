"""Where seizures are published: with Kafka security on, the sending agency's own topic (the only one its
principal may write, so the topic proves who sent the record); otherwise, or for a trusted tool that is no
agency (the admin), the shared seizures.raw."""

from __future__ import annotations

from pipeline.kafka_access import principals
from pipeline.settings import Settings
from pipeline.topology import SEIZURES_RAW, agency_submissions


def submissions_topic(settings: Settings, agency_id: str | None = None) -> str:
    """The physical topic a publisher for `agency_id` sends to (the results API passes the caller's agency);
    without one, the agency TRACEPIPE_KAFKA_USER names (`agency-<id>`), if any."""
    if agency_id is None:
        agency_id = principals.agency_of(settings.kafka_user)
    if settings.kafka_scram and agency_id:
        return settings.topic(agency_submissions(agency_id).name)
    return settings.topic(SEIZURES_RAW.name)
