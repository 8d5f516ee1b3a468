"""How every tracepipe process reaches Kafka: who it authenticates as, with which password, and the client
options that follow from the settings (PLAINTEXT, or SASL/SCRAM-SHA-512)."""
