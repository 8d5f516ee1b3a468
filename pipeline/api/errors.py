"""Errors as one readable JSON message in the caller's language: never a traceback, never a 500 for bad input."""

from __future__ import annotations

import logging
from typing import Any

import psycopg2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.accounts.store import AccountError
from pipeline.api.text import negotiate, say

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answer: HTTP status, message key (pipeline/api/text.py) and its values."""

    def __init__(self, status: int, key: str, **values: Any) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.values = values


def request_lang(request: Request) -> str:
    """The language of this request's answers."""
    default = getattr(request.app.state, "default_lang", "en")
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"), default)


def error_body(key: str, lang: str, **values: Any) -> dict[str, Any]:
    """{"error": key, "message": text}: a machine-readable key and a sentence for a person."""
    return {"error": key, "message": say(key, lang, **values)}


def _validation_problems(exc: RequestValidationError) -> list[str]:
    problems = []
    for item in exc.errors()[:20]:
        where = ".".join(str(part) for part in item.get("loc", ()) if part not in ("query", "path", "body"))
        problems.append(f"{where or 'request'}: {str(item.get('msg', 'invalid'))[:200]}")
    return problems


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to one JSON answer in the caller's language."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(error_body(exc.key, request_lang(request), **exc.values), exc.status, headers=headers)

    @app.exception_handler(AccountError)
    async def account_error(request: Request, exc: AccountError) -> JSONResponse:
        return JSONResponse(error_body(exc.key, request_lang(request), **exc.values), 400)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        body = error_body("invalid_request", request_lang(request))
        body["problems"] = _validation_problems(exc)
        return JSONResponse(body, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        key = {404: "not_found", 401: "unauthorized", 403: "forbidden"}.get(exc.status_code, "invalid_request")
        return JSONResponse(error_body(key, request_lang(request), role="?"), exc.status_code)

    @app.exception_handler(psycopg2.OperationalError)
    async def database_down(request: Request, exc: psycopg2.OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc).__name__)
        return JSONResponse(error_body("database_unavailable", request_lang(request)), 503)

    @app.exception_handler(psycopg2.DataError)
    async def bad_value(request: Request, exc: psycopg2.DataError) -> JSONResponse:
        # A value PostgreSQL cannot hold (an out-of-range date, a NUL byte): the caller's input, not our fault.
        log.info("request value refused by the database: %s", type(exc).__name__)
        return JSONResponse(error_body("invalid_request", request_lang(request)), 422)
