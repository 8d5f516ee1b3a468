"""The local stack: a real Kafka broker (KRaft) and a real PostgreSQL server, run from this project's folder."""
