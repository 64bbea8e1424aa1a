"""The escalation policy: durations, defaults per intent, and named mistakes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from cases.policy import load_policy, parse_duration, parse_policy
from cases.yamlfile import ConfigError
from config.settings import CONFIG_DIR


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "1w", "-3m", "0s", "3 m", "m3"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_shipped_policy() -> None:
    policy = load_policy(CONFIG_DIR / "escalation.yaml")
    assert policy.levels == ("grid", "courtyard", "community", "street")
    assert policy.rule("repair").ack_within == timedelta(minutes=30)
    assert policy.rule("dispute").start == "courtyard"
    assert policy.rule("dispute").ack_within == timedelta(minutes=30)  # from default
    emergency = policy.rule("emergency")
    assert emergency.notify == ("grid", "courtyard", "community")
    assert emergency.ack_within == timedelta(minutes=3)
    assert policy.level_above("community") == "street"
    assert policy.level_above("street") is None


def test_mistakes_are_named() -> None:
    data = {
        "levels": ["grid", "courtyard", "community", "street"],
        "default": {"start": "grid", "ack_within": "30x", "resolve_within": "2d"},
        "intents": {"repair": {"start": "roof"}, "dispute": {"speed": "1m"}},
    }
    with pytest.raises(ConfigError) as error:
        parse_policy(data, Path("escalation.yaml"))
    text = str(error.value)
    assert "default.ack_within: '30x' is not a duration" in text
    assert "intents.repair: 'roof' is not one of the levels" in text
    assert "intents.dispute: unknown key 'speed'" in text


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"intents": {"emergncy": {"ack_within": "3m"}}}, "intents.emergncy: not an intent"),
        ({"intents": ["emergency"]}, "intents: must be a mapping"),
        ({"levels": 5}, "levels: must be distinct levels"),
        ({"intents": {"emergency": {"notify": "grid"}}}, "emergency.notify: must be a list"),
        ({"intents": {"repair": {"ack_within": "99999999999d"}}}, "longer than any deadline"),
    ],
)
def test_malformed_policies_are_named_not_crashed(change: dict[str, object], named: str) -> None:
    """A misspelt intent would leave emergencies on the default deadlines, silently; the
    others raised TypeError or OverflowError instead of naming the entry."""
    data = {
        "levels": ["grid", "courtyard", "community", "street"],
        "default": {"start": "grid", "ack_within": "30m", "resolve_within": "2d"},
    } | change
    with pytest.raises(ConfigError) as error:
        parse_policy(data, Path("escalation.yaml"))
    assert named in str(error.value)
