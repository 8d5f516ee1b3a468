"""Sign in with an account token (a session cookie follows), sign out, and the front door."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.accounts.store import authenticate
from pipeline.api.deps import Connection
from pipeline.web import sessions
from pipeline.web.pages import check_csrf, current_session, page_lang, render

router = APIRouter(prefix="/app", include_in_schema=False)
LOGIN_CSRF = "tp_login_csrf"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/login")
def login_page(request: Request) -> Response:
    """The sign-in form (with a login CSRF token in a cookie and in the form)."""
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", page_lang(request), csrf=token, failed=False)
    response.set_cookie(LOGIN_CSRF, token, max_age=1800, httponly=True, samesite="strict", secure=_secure(request))
    return response


@router.post("/login")
def login(request: Request, conn: Connection, token: Annotated[str, Form(max_length=200)] = "",
          csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """A valid token opens a session; anything else shows the form again, with one sentence."""
    lang = page_lang(request)
    expected = request.cookies.get(LOGIN_CSRF, "")
    caller = authenticate(conn, token.strip(), datetime.now(UTC)) if expected and secrets.compare_digest(
        expected, csrf) else None
    response: Response
    if caller is None:
        fresh = secrets.token_urlsafe(24)
        response = render(request, "login.html", lang, csrf=fresh, failed=True, status=401)
        response.set_cookie(LOGIN_CSRF, fresh, max_age=1800, httponly=True, samesite="strict",
                            secure=_secure(request))
        return response
    session_id, _ = sessions.open_session(conn, caller, datetime.now(UTC))
    response = RedirectResponse("/app/", status_code=303)
    response.set_cookie(sessions.COOKIE, session_id, max_age=sessions.SESSION_HOURS * 3600, httponly=True,
                        samesite="strict", secure=_secure(request), path="/app")
    response.delete_cookie(LOGIN_CSRF)
    return response


@router.post("/logout")
def logout(request: Request, conn: Connection, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """End the session (the form carries the CSRF token) and go back to the sign-in page."""
    session = current_session(request, conn)
    check_csrf(session, csrf)
    sessions.close_session(conn, request.cookies.get(sessions.COOKIE, ""))
    response = RedirectResponse("/app/login", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/app")
    return response


