"""Who gets which Kafka password in the deploy files: the generated secret lists of compose and Kubernetes.

Pure: each function renders the body of one generated block (pipeline/stack/deploy_render.py splices it).
A process finds its principal's password in the directory TRACEPIPE_KAFKA_CREDENTIALS names, one file per
principal (pipeline/kafka_access/credentials.py): compose mounts a Docker secret per principal there, and
Kubernetes a projected volume of the principals' Secrets. Each container gets only its own principals'.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pipeline.stack.deploy_model import deployed_principals, password_variable, secret_name
from pipeline.stack.yaml_text import Node, block

PASSWORD_KEY = "password"  # noqa: S105 - a key name, not a password; the key of a principal's Secret (Strimzi's User Operator writes the same)
NEW_PASSWORD = "$(openssl rand -hex 24)"  # noqa: S105 - a command that makes one; hex: safe inside JAAS entries, JSON and command lines


def compose_secrets(indent: int) -> str:
    """Top-level compose `secrets`: one per principal, its value the `.env` variable of its password."""
    return block({secret_name(who): {"environment": password_variable(who)} for who in deployed_principals()}, indent)


def compose_service_secrets(principals: Sequence[str]) -> Callable[[int], str]:
    """A service's `secrets`: its principals' passwords as /run/secrets/<principal>."""
    entries: list[Node] = [{"source": secret_name(who), "target": who} for who in principals]
    return lambda indent: block(entries, indent)


def env_recipe(indent: int) -> str:
    """The `.env` lines that make every principal's password (deploy/compose/README.md)."""
    pad = " " * indent
    return "".join(f"{pad}{password_variable(who)}={NEW_PASSWORD}\n" for who in deployed_principals())


def k8s_secret_commands(indent: int) -> str:
    """Comment lines: the kubectl command that creates each principal's Secret (deploy/k8s/kustomization.yaml)."""
    pad = " " * indent
    return "".join(f'{pad}#   kubectl -n tracepipe create secret generic {secret_name(who)} '
                   f'--from-literal={PASSWORD_KEY}="{NEW_PASSWORD}"\n' for who in deployed_principals())


def k8s_projected_sources(principals: Sequence[str]) -> Callable[[int], str]:
    """A projected volume's `sources`: each principal's Secret as the file <principal>."""
    sources: list[Node] = [{"secret": {"name": secret_name(who), "items": [{"key": PASSWORD_KEY, "path": who}]}}
                           for who in principals]
    return lambda indent: block(sources, indent)
