"""Worker metrics: Prometheus instruments fed by observer hooks, served on each worker and snapshotted to Kafka."""
