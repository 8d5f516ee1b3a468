"""What every page shares: templates, the signed-in session, the reader's language, CSRF on every change.

The pages never decide who sees what: they call the same queries as the API with the caller's scope.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipeline.api.text import negotiate
from pipeline.rules.access import Role, may_administer, may_read_personal_data, may_read_traces, may_submit
from pipeline.web import sessions, text
from pipeline.web.sessions import Session

LANG_COOKIE = "tp_lang"
TEMPLATES = Environment(loader=FileSystemLoader(str(files("pipeline.web").joinpath("templates"))),
                        autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


class SignInRequired(Exception):
    """No live session: the page answers with a redirect to the sign-in page."""


class PageForbidden(Exception):
    """The caller's role may not see this page."""


class CsrfFailed(Exception):
    """A form without this session's CSRF token."""


def page_lang(request: Request) -> str:
    """`?lang=` (remembered in a cookie), else the cookie, else the browser's Accept-Language."""
    default = request.app.state.default_lang
    chosen = request.query_params.get("lang")
    if chosen and chosen[:2] in text.LOCALES:
        return chosen[:2]
    return negotiate(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"), default)


def current_session(request: Request, conn: Any) -> Session:
    """The live session of this request, or SignInRequired."""
    found = sessions.find_session(conn, request.cookies.get(sessions.COOKIE, ""), datetime.now(UTC))
    if found is None:
        raise SignInRequired
    return found


def require(session: Session, check: Any) -> None:
    """PageForbidden unless the session's role passes `check`."""
    if not check(session.caller.role):
        raise PageForbidden


def check_csrf(session: Session, submitted: str | None) -> None:
    """CsrfFailed unless the form carried the session's token."""
    if not sessions.csrf_ok(session, submitted):
        raise CsrfFailed


def with_query(request: Request, **changes: Any) -> str:
    """This page's URL with some query parameters changed (None removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return request.url.path + ("?" + urlencode(params) if params else "")


def render(request: Request, template: str, lang: str, session: Session | None = None, status: int = 200,
           **context: Any) -> HTMLResponse:
    """A page in `lang`, with the helpers every template uses."""
    role = session.caller.role if session else None
    page = TEMPLATES.get_template(template).render(
        request=request, lang=lang, session=session, w=lambda key, **v: text.w(key, lang, **v),
        number=lambda v: text.number(v, lang), day=lambda v: text.day(v, lang), moment=lambda v: text.moment(v, lang),
        with_query=lambda **c: with_query(request, **c),
        can={"traces": bool(role and may_read_traces(role)), "submit": bool(role and may_submit(role)),
             "personal": bool(role and may_read_personal_data(role)), "admin": bool(role and may_administer(role))},
        roles=Role, **context)
    response = HTMLResponse(page, status)
    if request.query_params.get("lang") in text.LOCALES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict", httponly=True)
    response.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                                   "script-src 'self'; frame-ancestors 'none'; form-action 'self'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
