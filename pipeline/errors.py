"""One exception root for tracepipe, with specific subclasses callers can route on."""

from __future__ import annotations


class TracepipeError(Exception):
    """Root of every error tracepipe raises on purpose; the CLI prints these as one readable line."""


class ConfigError(TracepipeError):
    """A setting or command-line value is invalid."""


class PrerequisiteMissing(TracepipeError):
    """A tool the local stack needs (Java, Maven, PostgreSQL) is absent; the message says how to get it."""


class StackError(TracepipeError):
    """A local-stack component failed to start, stop or answer."""


class CodecError(TracepipeError):
    """Bytes could not be turned into a record, or a record into bytes."""


class UnknownSchemaError(CodecError):
    """The payload names a writer schema (by fingerprint) that this project does not know."""


class CorruptPayloadError(CodecError):
    """The payload header or body is malformed."""


class EncodeError(CodecError):
    """A record does not match the schema it is being written with."""
