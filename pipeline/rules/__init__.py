"""Business rules as pure functions: no Kafka, no database, testable with plain values."""
