# The two commands a new user needs (see README.md). Both bootstrap the machine first, idempotently.
.PHONY: demo test bootstrap lint

bootstrap:
	@bash scripts/bootstrap.sh

demo: bootstrap
	.venv/bin/tracepipe demo

test: bootstrap
	.venv/bin/python -m pytest

lint: bootstrap
	.venv/bin/ruff check pipeline tests
