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


def run_gunicorn(settings: Settings, workers: int | None = None, bind: str | None = None) -> int:
    options = {
        "bind": bind or f"127.0.0.1:{settings.port}",
        "workers": workers or multiprocessing.cpu_count(),
        # The webhook is short and never waits on slow work; threads absorb retries waiting
        # for a first try's reply.
        "threads": 4,
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 10,
        "accesslog": None,
        "preload_app": False,
    }
    GridbotGunicorn(settings, options).run()
    return 0
