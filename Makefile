# The two commands a new user needs (see README.md). Both bootstrap the machine first, idempotently.
.PHONY: demo test bootstrap lint check

bootstrap:
	@bash scripts/bootstrap.sh

demo: bootstrap
	.venv/bin/tracepipe demo

test: check
	.venv/bin/python -m pytest

# Static checks, before the tests: lint, the layer contracts (pyproject.toml [tool.importlinter]), types.
check: bootstrap
	.venv/bin/ruff check pipeline tests
	.venv/bin/lint-imports
	.venv/bin/mypy

lint: check
