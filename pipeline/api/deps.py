"""Request dependencies: a database connection, the authenticated caller, the language."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request

from pipeline.accounts import store
from pipeline.api.errors import ApiError, request_lang
from pipeline.rules.access import Caller, Role


def db(request: Request) -> Iterator[Any]:
    """One pooled connection per request, in one transaction: committed on success, rolled back on error."""
    pool = request.app.state.pool
    conn = pool.getconn()
    try:
        with conn:
            yield conn
    finally:
        pool.putconn(conn)


# Connection for a route: its transaction ends (commits) before the answer is sent, so a client's next
# request always sees what this one changed.
Connection = Annotated[Any, Depends(db, scope="function")]


def lang(request: Request) -> str:
    """The language answers are written in (`?lang=`, Accept-Language, the default)."""
    return request_lang(request)


def caller(request: Request, conn: Connection) -> Caller:
    """The account behind `Authorization: Bearer <token>`; 401 for a missing, malformed, expired or revoked one."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized")
    found = store.authenticate(conn, token.strip(), datetime.now(UTC))
    if found is None:
        raise ApiError(401, "unauthorized")
    return found


def allowed(check: Callable[[Role], bool]) -> Callable[..., Caller]:
    """A dependency that lets through only callers whose role passes `check` (else 403)."""

    def dependency(who: Caller = Depends(caller)) -> Caller:
        if not check(who.role):
            raise ApiError(403, "forbidden", role=who.role.value)
        return who

    return dependency
