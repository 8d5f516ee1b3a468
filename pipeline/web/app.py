"""Mounts the web app on the results API's FastAPI application: pages under /app, their static files."""

from __future__ import annotations

from importlib.resources import files
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from pipeline.web.pages import CsrfFailed, PageForbidden, SignInRequired, page_lang, render
from pipeline.web.routes import duplicates, leads, search, signin, submit, trace

PAGE_ROUTERS = [signin.router, search.router, trace.router, leads.router, submit.router, duplicates.router]


def mount_web_app(app: FastAPI) -> FastAPI:
    """Add the pages (not part of the OpenAPI document) and what they answer when refused."""
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/app/static", StaticFiles(directory=str(files("pipeline.web").joinpath("static"))), name="static")

    @app.middleware("http")
    async def drop_empty_fields(request: Request, call_next: Any) -> Response:
        # A GET form sends every field, filled or not: an empty one means "no filter", so the page is asked
        # again without it (the API's validation then sees only what the analyst chose).
        if request.method == "GET" and request.url.path.startswith("/app/") and any(
                v == "" for _, v in request.query_params.multi_items()):
            kept = [(k, v) for k, v in request.query_params.multi_items() if v != ""]
            return RedirectResponse(request.url.path + ("?" + urlencode(kept) if kept else ""), status_code=303)
        return await call_next(request)

    @app.get("/", include_in_schema=False)
    def front_door() -> Response:
        return RedirectResponse("/app/", status_code=303)

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, _: SignInRequired) -> Response:
        return RedirectResponse("/app/login?next=" + quote(request.url.path), status_code=303)

    @app.exception_handler(PageForbidden)
    async def forbidden(request: Request, _: PageForbidden) -> Response:
        return render(request, "message.html", page_lang(request), status=403, message_key="forbidden_page")

    @app.exception_handler(CsrfFailed)
    async def stale_form(request: Request, _: CsrfFailed) -> Response:
        return render(request, "message.html", page_lang(request), status=403, message_key="csrf_failed")

    return app
