"""`tracepipe dashboard`: the ops web page (es/en, refreshing itself), its JSON, and the lag gauges for Prometheus.

Routes:
- `/` the page; `?lang=es|en`, else the browser's Accept-Language, else TRACEPIPE_LANG.
- `/api/overview?lang=` the figures the page draws (pipeline/ops/dashboard/overview.py documents them).
- `/metrics` consumer-lag gauges (tracepipe_consumer_lag_messages, ..._seconds, tracepipe_stage_lag_messages,
  tracepipe_lag_up) from the feed's last read: the dashboard doubles as the pipeline's lag exporter.
- `/healthz` liveness.

The page shows counts, stage names, reason codes and dead-letter messages, never a purchaser or a record's bytes.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from pipeline.errors import StackError
from pipeline.i18n import MESSAGES, t
from pipeline.ops.dashboard.feed import DashboardFeed
from pipeline.ops.lag.report import LagCollector
from pipeline.stack.serving import ServerThread

LANGS = ("en", "es")
PAGE_TEMPLATE = files("pipeline.ops.dashboard").joinpath("dashboard.html").read_text(encoding="utf-8")


def choose_lang(asked: str | None, accept_language: str | None, default: str) -> str:
    """`asked` if it is a language we speak, else the first of ours in Accept-Language, else `default`."""
    if asked in LANGS:
        return asked
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return default


def page_text(lang: str, refresh_s: float) -> dict[str, str]:
    """Every dashboard label in `lang`."""
    text = {key: t(key, lang) for key in MESSAGES if key.startswith("dash_") and key != "dash_refresh_every"}
    text["dash_refresh_every"] = t("dash_refresh_every", lang, seconds=f"{refresh_s:g}")
    return text


def render_page(lang: str, refresh_s: float) -> str:
    """The page, with its labels and settings embedded (the figures come from /api/overview)."""
    boot = {"lang": lang, "refresh_seconds": refresh_s, "text": page_text(lang, refresh_s)}
    # "</" cannot end the script element early inside a JSON string.
    boot_json = json.dumps(boot, ensure_ascii=False).replace("</", "<\\/")
    return (PAGE_TEMPLATE.replace("__LANG__", lang).replace("__TITLE__", t("dash_title", lang))
            .replace("__BOOT__", boot_json))


def create_dashboard_app(feed: DashboardFeed, default_lang: str = "en", refresh_s: float = 5.0) -> FastAPI:
    """The dashboard's ASGI app over a started (or starting) feed."""
    app = FastAPI(title="tracepipe ops dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    registry = CollectorRegistry(auto_describe=True)
    # The feed's last lag read, re-served on every scrape (no Kafka request per scrape).
    registry.register(LagCollector(lambda: feed.lag, min_interval_s=0.0))

    @app.get("/", response_class=HTMLResponse)
    def page(request: Request, lang: str | None = Query(None)) -> HTMLResponse:
        chosen = choose_lang(lang, request.headers.get("accept-language"), default_lang)
        return HTMLResponse(render_page(chosen, refresh_s), headers={"Cache-Control": "no-store"})

    @app.get("/api/overview")
    def overview(request: Request, lang: str | None = Query(None)) -> JSONResponse:
        chosen = choose_lang(lang, request.headers.get("accept-language"), default_lang)
        return JSONResponse(feed.overview(chosen), headers={"Cache-Control": "no-store"})

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "lag_up": feed.lag is not None}

    return app


class DashboardThread:
    """The dashboard served from a thread of this process, while something else runs (the demo, the tests)."""

    def __init__(self, feed: DashboardFeed, host: str, port: int, default_lang: str = "en",
                 refresh_s: float = 5.0) -> None:
        self.feed = feed
        self.server = ServerThread(create_dashboard_app(feed, default_lang, refresh_s), host, port, "dashboard")

    def __enter__(self) -> DashboardThread:
        self.feed.start()
        try:
            self.server.__enter__()
        except StackError:
            self.feed.stop()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.__exit__()
        self.feed.stop()


def serve_dashboard(feed: DashboardFeed, host: str, port: int, default_lang: str, refresh_s: float) -> None:
    """Run the dashboard until Ctrl-C (the feed is started here and stopped on the way out)."""
    import uvicorn

    feed.start()
    try:
        uvicorn.run(create_dashboard_app(feed, default_lang, refresh_s), host=host, port=port,
                    log_level="warning", access_log=False)
    finally:
        feed.stop()
