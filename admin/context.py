"""What the dashboard needs of the process, read from `app.extensions["gridbot"]`.

admin/ must not import bot/ (dependencies point down), so the Services object the lead's
`create_app` builds is described here by the attributes admin uses, not by its class."""

from __future__ import annotations

from typing import Any, Protocol

from flask import current_app

from cases.context import Domain
from config.settings import Settings
from config.wording import Wording


class AdminServices(Protocol):
    settings: Settings
    domain: Domain
    wording: Wording
    redis: Any


def services() -> AdminServices:
    """The current app's long-lived objects (database, org tree, policy, wording, Redis)."""
    return current_app.extensions["gridbot"]  # type: ignore[no-any-return]
