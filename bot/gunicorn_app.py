"""Running the web app under gunicorn from Python, so `python -m bot web` needs no config file."""

from __future__ import annotations

import multiprocessing
from typing import Any

from gunicorn.app.base import BaseApplication

from config.settings import Settings


class GridbotGunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from bot.app import create_app

        return create_app(self.settings)


# One thread per process, one process more than cores. The webhook's work is CPU-bound under
# the GIL: with 4 threads per process, bench_webhook's p99 at 200 msg/s was 87 ms, with one
# 19 ms. A retry waiting for its first try's reply holds its process for up to
# Settings.retry_wait (4 s); the spare process keeps answering meanwhile.
DEFAULT_THREADS = 1


def default_workers() -> int:
    return multiprocessing.cpu_count() + 1


def run_gunicorn(
    settings: Settings,
    workers: int | None = None,
    threads: int | None = None,
    bind: str | None = None,
) -> int:
    options = {
        "bind": bind or f"127.0.0.1:{settings.port}",
        "workers": workers or default_workers(),
        "threads": threads or DEFAULT_THREADS,
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 10,
        "accesslog": None,
        "preload_app": False,
    }
    GridbotGunicorn(settings, options).run()
    return 0
