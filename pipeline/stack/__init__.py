"""The local stack: a real Kafka broker (KRaft) and PostgreSQL run from this project's folder, and topic admin."""
