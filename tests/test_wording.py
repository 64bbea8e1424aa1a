"""Every sentence key the code uses exists in config/wording.yaml, with the fields it fills."""

from __future__ import annotations

import ast
import string
from pathlib import Path

from config.settings import CONFIG_DIR, PROJECT_ROOT
from config.wording import load_wording


def literal_calls(path: Path) -> list[tuple[str, set[str], bool]]:
    """(key, keyword names, has **kwargs) of every say("…") / wording("…") call in `path`."""
    calls = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        first = node.args[0]
        if (
            name in ("say", "wording")
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
        ):
            keywords = {k.arg for k in node.keywords if k.arg}
            calls.append((first.value, keywords, any(k.arg is None for k in node.keywords)))
    return calls


def test_every_literal_key_exists_with_its_fields() -> None:
    wording = load_wording(CONFIG_DIR / "wording.yaml")
    problems = []
    folders = ("handlers", "bot", "workers", "admin")
    for path in [p for folder in folders for p in PROJECT_ROOT.glob(f"{folder}/*.py")]:
        for key, given, splat in literal_calls(path):
            if not wording.has(key):
                problems.append(f"{path.name}: {key} is missing")
                continue
            needed = {f for _, f, _, _ in string.Formatter().parse(wording.texts[key]) if f}
            if needed - given and not splat:
                problems.append(f"{path.name}: {key} needs {sorted(needed - given)}")
    assert not problems, problems


def test_names_for_every_value() -> None:
    wording = load_wording(CONFIG_DIR / "wording.yaml")
    from cases.lifecycle import STATUSES, TRANSITIONS
    from cases.org import LEVELS

    for prefix, values in [
        ("status", STATUSES),
        ("level", LEVELS),
        ("event", [*TRANSITIONS, "opened"]),
        ("intent", ["repair", "dispute", "elder_help", "emergency", "opinion", "query", "other"]),
        (
            "topic",
            [
                "elevator",
                "parking",
                "greening",
                "renovation",
                "property",
                "safety",
                "activities",
                "other",
            ],
        ),
    ]:
        for value in values:
            assert wording.has(f"{prefix}.{value}"), f"{prefix}.{value}"
