"""Intake's subscription to the agencies' own topics (Kafka security on): the ones present when it starts,
and a restart when another appears.

faust-streaming subscribes by topic names only (its aiokafka consumer ignores patterns: "XXX pattern does
not work" in faust/transport/drivers/aiokafka.py), so intake lists the `seizures.raw.<agency>` topics it may
read at start. When provisioning adds an agency, its topic appears; intake notices within
AGENCY_CHECK_S and ends itself, crash-only like every worker stop, and the supervisor (or Kubernetes)
starts it again subscribed to the new topic too. Nothing is lost meanwhile: the records wait on the topic.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Collection

import faust

from pipeline.kafka_access import clients
from pipeline.settings import Settings
from pipeline.topology import agency_topics_among

log = logging.getLogger(__name__)

AGENCY_CHECK_S = 15.0
RESUBSCRIBE_EXIT_CODE = 75  # EX_TEMPFAIL: start me again


def agency_topics_present(settings: Settings, principal: str) -> list[str]:
    """The namespace's agency submission topics that `principal` can see, by physical name."""
    consumer = clients.consumer(settings, principal, enable_auto_commit=False)
    try:
        return agency_topics_among(consumer.topics(), settings.namespace)
    finally:
        consumer.close()


def restart_on_new_agency(app: faust.App, settings: Settings, principal: str, subscribed: Collection[str],
                          every_s: float = AGENCY_CHECK_S) -> None:
    """A timer that ends the worker when an agency topic it does not read appears (it starts again reading it)."""
    known = set(subscribed)

    async def check_agency_topics() -> None:
        try:
            present = await asyncio.get_running_loop().run_in_executor(
                None, agency_topics_present, settings, principal)
        except Exception as exc:  # noqa: BLE001 - the broker may be away; the next tick asks again
            log.warning("intake: could not list agency topics (%s)", type(exc).__name__)
            return
        new = sorted(set(present) - known)
        if new:
            log.warning("intake: %d new agency topic(s) (%s): restarting to read them", len(new), ", ".join(new))
            os._exit(RESUBSCRIBE_EXIT_CODE)

    app.timer(every_s, name="intake.agency_topics")(check_agency_topics)
