"""The registry's promises that the dispatcher relies on."""

from __future__ import annotations

import pytest

from handlers import registry


def test_every_dialogue_step_can_be_left_and_asked_again() -> None:
    """A new message leaves a step by its "leave" route; a rating answered aside asks the
    step's question again by its "remind" route. A step without them would swallow both."""
    registry.load()
    steps = registry.names_of("step")
    assert sorted(steps) == ["ask_address", "bind", "emergency_address"]
    for step in steps:
        assert registry.route("leave", step) is not None, step
        assert registry.route("remind", step) is not None, step


def test_an_unknown_route_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown route kind"):
        registry.handles("nonsense", "x")
