"""Fetches and runs Apache avro-tools, the Java Avro implementation, to prove our bytes are standard Avro.

The jar is resolved by Maven from deploy/local/avro-tools/pom.xml into <state dir>/avro-tools/ once;
later calls find it there and need no network.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

from pipeline.errors import PrerequisiteMissing, StackError
from pipeline.paths import DEPLOY_DIR, require_executable
from pipeline.settings import Settings

AVRO_TOOLS_POM = DEPLOY_DIR / "local" / "avro-tools" / "pom.xml"
_JAVA_HINT = "install a Java 11+ runtime (apt-get install openjdk-17-jre-headless) or set TRACEPIPE_JAVA"
_MVN_HINT = "install Maven (apt-get install maven) or set TRACEPIPE_MVN"


def pinned_version() -> str:
    """The avro-tools version the pom asks for (a jar of another version is not reused)."""
    match = re.search(r"<avro\.version>([^<]+)</avro\.version>", AVRO_TOOLS_POM.read_text(encoding="utf-8"))
    if match is None:
        raise PrerequisiteMissing(f"{AVRO_TOOLS_POM} does not set <avro.version>")
    return match[1].strip()


def ensure_avro_tools(settings: Settings) -> Path:
    """Path of the avro-tools jar, fetching it with Maven on first use (idempotent, safe to race)."""
    require_executable(settings.java, _JAVA_HINT)
    target = settings.state_dir / "avro-tools"
    jar = target / f"avro-tools-{pinned_version()}.jar"
    if jar.is_file():
        return jar
    mvn = require_executable(settings.mvn, _MVN_HINT)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target, prefix=".fetch-") as staging:
        command = [mvn, "-B", "-q", "-f", str(AVRO_TOOLS_POM), "dependency:copy-dependencies"]
        result = subprocess.run([*command, f"-DoutputDirectory={staging}"], capture_output=True, text=True, check=False)
        fetched = Path(staging) / jar.name
        if result.returncode != 0 or not fetched.is_file():
            output = (result.stdout + result.stderr)[-2000:]
            raise PrerequisiteMissing(f"Maven could not fetch {jar.name} with {AVRO_TOOLS_POM}: {output}")
        os.replace(fetched, jar)  # atomic: a concurrent caller never sees a half-copied jar
    return jar


def run_avro_tools(settings: Settings, *args: str, timeout_s: float = 120) -> bytes:
    """Run `java -jar avro-tools.jar <args>` and return its standard output."""
    jar = ensure_avro_tools(settings)
    command = [require_executable(settings.java, _JAVA_HINT), "-jar", str(jar), *args]
    tool = args[0] if args else "(no tool)"
    try:
        return subprocess.run(command, capture_output=True, check=True, timeout=timeout_s).stdout
    except subprocess.CalledProcessError as exc:
        raise StackError(f"avro-tools {tool} failed: {exc.stderr.decode('utf-8', 'replace')[-2000:]}") from exc
    except subprocess.TimeoutExpired as exc:
        raise StackError(f"avro-tools {tool} did not finish within {timeout_s:.0f} s") from exc
