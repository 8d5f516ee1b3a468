"""Agency accounts in PostgreSQL: the agency registry, tokens, sharing opt-ins and the audit log."""
