"""A fix for faust-streaming 0.15.3 that loses records when a worker (re)joins its group under load.

On assignment faust resumes the input partitions and only then seeks them to their committed offsets,
while its fetch loop keeps delivering records fetched before the seek. Those stale deliveries move the
consumer's "read offset" past the committed one, so when the same records are fetched again after the
seek, faust drops them as already read (`DROPPED MESSAGE ROFF` in its dev log) although no agent ever
processed them, and the next commit moves past them. Seen here: a dedupe worker restarted while seizures
were arriving skipped the first 1–3 records of several partitions (12 of 277 in one run), so their trace
requests were never opened.

The fix stops the consumer's flow for the length of the seek: the fetch loop stops handing out records,
the seek sets the read offsets and the fetch positions together, and the flow resumes from there.
"""

from __future__ import annotations

from faust.transport.consumer import Consumer

_original_perform_seek = Consumer.perform_seek


async def _perform_seek_with_flow_stopped(self: Consumer) -> None:
    """`Consumer.perform_seek`, with no record delivered while it runs."""
    was_active = self.flow_active
    if was_active:
        self.stop_flow()
    try:
        await _original_perform_seek(self)
    finally:
        if was_active:
            self.resume_flow()


def install() -> None:
    """Apply the fix (idempotent); called when a processor's app is built."""
    Consumer.perform_seek = _perform_seek_with_flow_stopped  # type: ignore[method-assign]
