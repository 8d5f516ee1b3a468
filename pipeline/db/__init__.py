"""PostgreSQL access: connections and schema migrations."""
