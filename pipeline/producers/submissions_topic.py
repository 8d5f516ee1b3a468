"""Where seizures are published: with Kafka security on, the sending agency's own topics (the only ones its
principal may write, so the topic proves who sent the record); otherwise, or for a trusted tool that is no
agency (the admin), the shared seizures.raw. Either way URGENT seizures take the urgent lane's topic, which
no routine backlog delays."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.kafka_access import principals
from pipeline.settings import Settings
from pipeline.topology import SEIZURES_RAW, SEIZURES_URGENT, agency_submissions


@dataclass(frozen=True)
class Lanes:
    """The physical topics one publisher sends to: routine seizures, and URGENT ones."""

    topic: str
    urgent_topic: str


def submissions_topic(settings: Settings, agency_id: str | None = None, urgent: bool = False) -> str:
    """The physical topic a publisher for `agency_id` sends to (the results API passes the caller's agency);
    without one, the agency TRACEPIPE_KAFKA_USER names (`agency-<id>`), if any."""
    if agency_id is None:
        agency_id = principals.agency_of(settings.kafka_user)
    if settings.kafka_scram and agency_id:
        return settings.topic(agency_submissions(agency_id, urgent).name)
    return settings.topic((SEIZURES_URGENT if urgent else SEIZURES_RAW).name)


def submission_lanes(settings: Settings, agency_id: str | None = None) -> Lanes:
    """Both lanes' topics of `submissions_topic`: SeizurePublisher's `topic` and `urgent_topic`."""
    return Lanes(submissions_topic(settings, agency_id), submissions_topic(settings, agency_id, urgent=True))
