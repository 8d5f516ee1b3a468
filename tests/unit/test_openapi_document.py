"""The checked-in OpenAPI document (docs/openapi.json) is exactly what the code serves."""

from __future__ import annotations

import json

from pipeline.api.app import openapi_document
from pipeline.paths import PROJECT_ROOT
from pipeline.settings import Settings

CHECKED_IN = PROJECT_ROOT / "docs" / "openapi.json"


def test_openapi_document_matches_the_code():
    served = openapi_document(Settings.from_env({}))
    assert CHECKED_IN.read_text(encoding="utf-8") == served, (
        "docs/openapi.json is out of date: run `.venv/bin/tracepipe api --write-openapi docs/openapi.json`")


def test_every_operation_documents_its_errors_and_a_summary():
    document = json.loads(CHECKED_IN.read_text(encoding="utf-8"))
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            if path.startswith("/v1/"):
                assert {"401", "403", "422"} <= set(operation["responses"]), (method, path)
