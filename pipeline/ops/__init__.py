"""Operations tooling: what operators run against a live pipeline (consumer lag today)."""
