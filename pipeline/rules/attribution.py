"""Who sent a seizure: with Kafka security on, the agency topic it arrived on, which only that agency may
write (pipeline/stack/kafka_acls.py). A record there naming another agency is refused, so no agency can
publish a seizure attributed to another."""

from __future__ import annotations

from typing import Any

from pipeline.rules.validate import Rejection, RejectReason, reject


def attribution_rejection(event: dict[str, Any], sent_by: str | None) -> Rejection | None:
    """None if `event` names the agency that sent it, or if the sender is not known from the topic
    (`sent_by` None: seizures.raw, written only by trusted tools). The named id is echoed only when it is a
    plausible agency id (an id, not personal data); validation has bounded it already."""
    named = event.get("agency_id")
    if sent_by is None or named == sent_by:
        return None
    shown = named if isinstance(named, str) and len(named) <= 40 and named.replace("-", "").isalnum() else "?"
    return reject(RejectReason.AGENCY_MISMATCH,
                  f"the record names agency {shown} but was published on agency {sent_by}'s own topic",
                  f"el registro indica la agencia {shown} pero se publicó en el tópico propio de la "
                  f"agencia {sent_by}")
