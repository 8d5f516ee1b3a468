"""The HTTP service `tracepipe api` runs: the results API (/v1) and the analysts' web app (/app) in one process."""

from __future__ import annotations

from fastapi import FastAPI

from pipeline.api.app import create_app
from pipeline.settings import Settings
from pipeline.web.app import mount_web_app


def create_service(settings: Settings) -> FastAPI:
    """The API with the web app mounted on it."""
    return mount_web_app(create_app(settings))


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the service until Ctrl-C."""
    import uvicorn

    uvicorn.run(create_service(settings), host=host, port=port, log_level="warning", access_log=False)
