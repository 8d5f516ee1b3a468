"""Consumer lag: committed versus end offsets per group and partition, in records and in seconds; drain checks."""
