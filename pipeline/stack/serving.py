"""An ASGI app served by uvicorn from a thread of this process, while something else runs (demo, tests)."""

from __future__ import annotations

import threading
import time
from typing import Any

from pipeline.errors import StackError

STARTUP_S = 30.0


class ServerThread:
    """`with ServerThread(app, host, port):` serves `app` until the block ends."""

    def __init__(self, app: Any, host: str, port: int, name: str) -> None:
        import uvicorn

        self.name = name
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, name=name, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + STARTUP_S
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise StackError(f"the {self.name} server did not start (is its port taken?)")
            time.sleep(0.05)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
