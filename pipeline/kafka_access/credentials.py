"""The credentials file: each principal's SCRAM password, generated with `secrets`, kept mode 0600.

`stack up` creates it (the broker's admin user is formatted into storage from it); a process whose settings
name no password reads its principal's one here. Values are never logged: they come back as `Secret`.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.settings import Secret

PASSWORD_BYTES = 24  # 32 URL-safe characters


def _read_directory(path: Path) -> dict[str, str]:
    """A directory of one file per principal holding its password: how Kubernetes mounts Secrets and Docker
    its secrets, so a deployment hands each pod only the passwords of the principals it runs as."""
    try:
        return {entry.name: entry.read_text().strip() for entry in sorted(path.iterdir())
                if entry.is_file() and not entry.name.startswith(".")}
    except OSError as exc:
        raise ConfigError(f"the Kafka credentials directory {path} cannot be read ({type(exc).__name__})") from None


def _read(path: Path) -> dict[str, str]:
    if path.is_dir():
        return _read_directory(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"the Kafka credentials file {path} cannot be read ({type(exc).__name__}); "
                          "delete it only together with the broker state, or fix its JSON") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ConfigError(f"the Kafka credentials file {path} must be a JSON object of principal: password")
    return data


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the file, so two processes adding principals do not lose one's entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(path: Path, data: dict[str, str]) -> None:
    """Replace the file atomically; created 0600 so no other user can read a password, even briefly."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=1, sort_keys=True)
    os.chmod(partial, 0o600)
    os.replace(partial, path)


def ensure(path: Path, principals: Iterable[str]) -> dict[str, Secret]:
    """Every named principal's password, generating (and saving) the missing ones."""
    wanted = list(principals)
    if path.is_dir():  # mounted by a deployment: read-only, and the passwords are the deployment's to make
        found = _read_directory(path)
        missing = [p for p in wanted if p not in found]
        if missing:
            raise ConfigError(f"the Kafka credentials directory {path} has no password for {', '.join(missing)}")
        return {p: Secret(found[p]) for p in wanted}
    with _locked(path):
        data = _read(path)
        missing = [p for p in wanted if p not in data]
        if missing or not path.exists():
            data.update({p: secrets.token_urlsafe(PASSWORD_BYTES) for p in missing})
            _write(path, data)
    return {p: Secret(data[p]) for p in wanted}


def password_for(path: Path, principal: str) -> Secret:
    """The principal's password from the file, generated and saved if it has none yet."""
    known = _read(path).get(principal)
    return Secret(known) if known is not None else ensure(path, [principal])[principal]


def known(path: Path) -> dict[str, Secret]:
    """Every principal in the file with its password (empty if there is no file yet)."""
    return {p: Secret(v) for p, v in _read(path).items()}
