"""Build dead-letter records: reason code, messages in English and Spanish, source coordinates, original bytes."""

from __future__ import annotations

from pipeline.contract.codec import encode
from pipeline.contract.envelope import Incoming, Outgoing
from pipeline.contract.registry import Record
from pipeline.rules.validate import Rejection
from pipeline.topology import SEIZURES_DEAD_LETTER


def dead_letter(incoming: Incoming, rejection: Rejection, processor: str) -> Outgoing:
    """The dead-letter record for `incoming`, keyed by its source coordinates.

    A replay adds a second record under the same key (the topic is not compacted): readers count distinct keys.
    """
    datum = {
        "reason_code": str(rejection.reason),
        "message_en": rejection.message_en,
        "message_es": rejection.message_es,
        "source_topic": incoming.topic,
        "source_partition": incoming.partition,
        "source_offset": incoming.offset,
        "original_key": incoming.key,
        "original_value": b"" if incoming.value is None else incoming.value,  # a tombstone has no bytes at all
        "failed_at": incoming.timestamp,
        "processor": processor,
    }
    key = f"{incoming.topic}:{incoming.partition}:{incoming.offset}".encode()
    return Outgoing(SEIZURES_DEAD_LETTER.name, key, encode(Record.DEAD_LETTER, datum))
