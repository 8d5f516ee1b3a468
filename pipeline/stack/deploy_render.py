"""The parts of deploy/ that follow from the topology, rendered as text (pure: no file is read or written here).

pipeline/topology.py declares the topics and processors and pipeline/stack/kafka_acls.py derives every
principal's ACLs from it; a deployment must say the same. So these are generated, never hand-copied:
whole files (the Strimzi KafkaTopic and KafkaUser resources) and marked blocks inside hand-written files
(the lines between `# >>> generated: NAME` and `# <<< generated: NAME`). `tracepipe deploy render --write`
rewrites them, `--check` (and tests/unit/test_deploy_files.py) fail when one drifts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from pipeline.errors import TracepipeError
from pipeline.kafka_access import principals as roles
from pipeline.stack import deploy_secrets as secrets
from pipeline.stack import deploy_strimzi as strimzi
from pipeline.stack.deploy_model import WORKER_GROUPS, deployed_principals, worker_principals


class RenderError(TracepipeError):
    """A generated block is missing or malformed in its hand-written file."""


# --------------------------------------------------------------------------------------------------
# Generated blocks inside hand-written files
# --------------------------------------------------------------------------------------------------

_BLOCK = re.compile(r"^(?P<indent>[ ]*)# >>> generated: (?P<name>[a-z0-9-]+)[^\n]*\n(?P<body>.*?)"
                    r"^(?P=indent)# <<< generated: (?P=name)[ ]*$", re.M | re.S)


def block_names(text: str) -> list[str]:
    """The generated blocks a file holds, in order."""
    return [m.group("name") for m in _BLOCK.finditer(text)]


def splice(text: str, blocks: Mapping[str, Callable[[int], str]]) -> str:
    """`text` with each marked block's body replaced by blocks[name](indent), the lines indented like its markers.

    Every block the file marks must be one `blocks` knows, and every block of `blocks` must be marked once.
    """
    found = block_names(text)
    unknown, missing = set(found) - set(blocks), set(blocks) - set(found)
    twice = {name for name in found if found.count(name) > 1}
    if unknown or missing or twice:
        raise RenderError(f"generated blocks: unknown {sorted(unknown)}, missing {sorted(missing)}, "
                          f"repeated {sorted(twice)}")

    def body(m: re.Match[str]) -> str:
        indent = m.group("indent")
        lines = blocks[m.group("name")](len(indent)).splitlines()
        head = m.group(0).split("\n", 1)[0]
        return "\n".join([head, *lines, f"{indent}# <<< generated: {m.group('name')}"])

    return _BLOCK.sub(body, text)


# --------------------------------------------------------------------------------------------------
# Every generated file
# --------------------------------------------------------------------------------------------------

WHOLE_FILES: dict[str, Callable[[], str]] = {
    "deploy/k8s/strimzi/topics.yaml": strimzi.topics_yaml,
    "deploy/k8s/strimzi/users.yaml": strimzi.users_yaml,
}
# Hand-written files with generated blocks: {path: {block name: render(indent)}}.
BLOCK_FILES: dict[str, dict[str, Callable[[int], str]]] = {
    "deploy/compose/docker-compose.yml": {
        "kafka-secrets": secrets.compose_secrets,
        "kafka-setup-secrets": secrets.compose_service_secrets(deployed_principals()),
        **{f"{group}-secrets": secrets.compose_service_secrets(worker_principals(group)) for group in WORKER_GROUPS},
        "api-secrets": secrets.compose_service_secrets([roles.API]),
        "dashboard-secrets": secrets.compose_service_secrets([roles.OPS]),
    },
    "deploy/compose/README.md": {"kafka-passwords": secrets.env_recipe},
    "deploy/k8s/kustomization.yaml": {"kafka-secrets": secrets.k8s_secret_commands},
    "deploy/k8s/kafka-setup-job.yaml": {
        "kafka-setup-credentials": secrets.k8s_projected_sources(deployed_principals()),
    },
    "deploy/k8s/app/workers.yaml": {
        f"{group}-credentials": secrets.k8s_projected_sources(worker_principals(group)) for group in WORKER_GROUPS
    },
    "deploy/k8s/app/api.yaml": {"api-credentials": secrets.k8s_projected_sources([roles.API])},
    "deploy/k8s/app/dashboard.yaml": {"dashboard-credentials": secrets.k8s_projected_sources([roles.OPS])},
}
GENERATED_PATHS = (*WHOLE_FILES, *BLOCK_FILES)


def render(current: Mapping[str, str]) -> dict[str, str]:
    """The text every generated file should have; `current` holds the hand-written files' texts (path -> text)."""
    out = {path: make() for path, make in WHOLE_FILES.items()}
    for path, blocks in BLOCK_FILES.items():
        if path not in current:
            raise RenderError(f"{path} is missing: it holds generated blocks {sorted(blocks)}")
        try:
            out[path] = splice(current[path], blocks)
        except RenderError as exc:
            raise RenderError(f"{path}: {exc}") from None
    return out
