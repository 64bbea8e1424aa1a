"""Fixtures of the webhook tests: phones in each protocol mode."""

from __future__ import annotations

import pytest

from bot.simulator import Simulator
from tests.live import LiveServer, Phone


@pytest.fixture(params=["plain", "compat", "safe"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def phone(live: LiveServer) -> Phone:
    return Phone(live, Simulator.from_settings(live.settings, "safe"))
