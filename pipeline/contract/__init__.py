"""The stream contract: Avro schemas, fingerprints, the codec over both Avro libraries, the record envelope."""
