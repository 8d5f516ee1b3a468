"""Where the project's own files live (schemas, deploy descriptors), found from the package location."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SCHEMAS_DIR = PROJECT_ROOT / "schemas"
DEPLOY_DIR = PROJECT_ROOT / "deploy"
KAFKA_POM = DEPLOY_DIR / "local" / "kafka" / "pom.xml"
