"""A real server for the tests (importable because tests/conftest.py puts tests/ on sys.path): uvicorn on
127.0.0.1 and a free port, in a thread of the test process; used by tests/serve and tests/onnx."""

from __future__ import annotations

import socket
import threading
import time


class LiveServer:
    """``uvicorn`` running ``app`` in a daemon thread until ``stop()``; ``url`` is http://127.0.0.1:PORT."""

    def __init__(self, app) -> None:
        import uvicorn

        sock = socket.create_server(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = app
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def stats(self) -> dict:
        return self.app.state.pool.stats()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
