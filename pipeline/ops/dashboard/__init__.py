"""The ops dashboard: a page (es/en) and its JSON, fed by the metrics snapshots, dead letters and lag on Kafka."""
