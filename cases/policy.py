"""The escalation policy from config/escalation.yaml: where a case starts and how long each
level has to take it and to resolve it. One clock: every deadline comes from here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cases.org import LEVELS
from cases.yamlfile import ConfigError, check_keys, load_yaml

DURATION_RE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
INTENT_KEYS = {"start", "ack_within", "resolve_within", "notify"}
# The intents a case can have (nlp's others, opinion and query, open none).
CASE_INTENTS = ("repair", "dispute", "elder_help", "emergency", "other")


def parse_duration(text: str) -> timedelta:
    """'90s', '30m', '4h', '2d' -> timedelta; anything else raises ValueError."""
    match = DURATION_RE.match(str(text).strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration like 90s, 30m, 4h or 2d")
    try:
        return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError:
        raise ValueError(f"{text!r} is longer than any deadline can be") from None


@dataclass(frozen=True)
class Rule:
    """The policy for one intent, defaults filled in."""

    start: str
    ack_within: timedelta
    resolve_within: timedelta
    notify: tuple[str, ...]  # levels pushed at once; the case sits at the first


@dataclass(frozen=True)
class Policy:
    levels: tuple[str, ...]
    default: Rule
    intents: dict[str, Rule]

    def rule(self, intent: str) -> Rule:
        return self.intents.get(intent, self.default)

    def level_above(self, level: str) -> str | None:
        index = self.levels.index(level)
        return self.levels[index + 1] if index + 1 < len(self.levels) else None

    @property
    def top(self) -> str:
        return self.levels[-1]


def load_policy(path: Path) -> Policy:
    return parse_policy(load_yaml(path), path)


def parse_policy(data: Any, path: Path) -> Policy:
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ConfigError(path, ["the file must be a mapping with 'levels' and 'default'"])
    check_keys("top level", data, {"levels", "default", "intents"}, problems)
    levels_data = data.get("levels") or list(LEVELS)
    levels = tuple(levels_data) if isinstance(levels_data, list) else ()
    if (
        not levels
        or any(level not in LEVELS for level in levels)
        or len(set(levels)) != len(levels)
    ):
        problems.append(f"levels: must be distinct levels among {', '.join(LEVELS)}")
        levels = LEVELS
    default_data = data.get("default")
    if not isinstance(default_data, dict):
        raise ConfigError(path, [*problems, "default: must give start, ack_within, resolve_within"])
    base = Rule("grid", timedelta(minutes=30), timedelta(days=2), ())
    default = _parse_rule("default", default_data, base, levels, problems, require_all=True)
    intents: dict[str, Rule] = {}
    intents_data = data.get("intents") or {}
    if not isinstance(intents_data, dict):
        problems.append("intents: must be a mapping, e.g. intents: {emergency: {ack_within: 3m}}")
        intents_data = {}
    for intent, rule_data in intents_data.items():
        if intent not in CASE_INTENTS:
            # A misspelt intent would leave the real one on the defaults, silently.
            problems.append(f"intents.{intent}: not an intent (known: {', '.join(CASE_INTENTS)})")
            continue
        if not isinstance(rule_data, dict):
            problems.append(f"intents.{intent}: must be a mapping")
            continue
        intents[str(intent)] = _parse_rule(
            f"intents.{intent}", rule_data, default, levels, problems, require_all=False
        )
    if problems:
        raise ConfigError(path, problems)
    return Policy(levels, default, intents)


def _parse_rule(
    entry: str,
    data: dict[str, Any],
    base: Rule,
    levels: tuple[str, ...],
    problems: list[str],
    require_all: bool,
) -> Rule:
    check_keys(
        entry, data, INTENT_KEYS if entry != "default" else INTENT_KEYS - {"notify"}, problems
    )
    if require_all:
        for key in ("start", "ack_within", "resolve_within"):
            if key not in data:
                problems.append(f"{entry}: '{key}' is missing")
    durations = {}
    for key in ("ack_within", "resolve_within"):
        try:
            durations[key] = parse_duration(data[key]) if key in data else getattr(base, key)
        except ValueError as exc:
            problems.append(f"{entry}.{key}: {exc}")
            durations[key] = getattr(base, key)
    notify_data = data.get("notify") or []
    if not isinstance(notify_data, list):
        problems.append(f"{entry}.notify: must be a list of levels, e.g. notify: [grid, courtyard]")
        notify_data = []
    notify = tuple(str(level) for level in notify_data)
    start = str(data.get("start", notify[0] if notify else base.start))
    for level in (start, *notify):
        if level not in levels:
            problems.append(f"{entry}: {level!r} is not one of the levels {list(levels)}")
    if notify and notify[0] != start:
        problems.append(f"{entry}: 'notify' must begin with the start level {start!r}")
    return Rule(start, durations["ack_within"], durations["resolve_within"], notify or (start,))
