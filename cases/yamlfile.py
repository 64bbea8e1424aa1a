"""Reading the operator's YAML files, with errors that name the file, the entry and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """An operator file is wrong. `problems` lists every mistake found, not just the first."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} problem(s):\n{lines}")


def load_yaml(path: Path) -> Any:
    """Parse `path` safely; a missing file or a syntax error becomes a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, [f"cannot read the file ({exc.strerror})"]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            path, [f"not UTF-8 (byte {exc.start}): save the file as UTF-8, not GBK"]
        ) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(path, [f"not valid YAML: {exc}"]) from exc


def text_list(entry: str, data: dict[str, Any], key: str, problems: list[str]) -> tuple[str, ...]:
    """`key` of `data` as a list of words (numbers allowed): a single word or a mapping there
    is a mistake, not a list of its characters."""
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        problems.append(f'{entry}: \'{key}\' must be a list, e.g. {key}: ["1", "2"]')
        return ()
    return tuple(str(v) for v in value)


def check_keys(entry: str, data: dict[str, Any], allowed: set[str], problems: list[str]) -> None:
    """Report keys the format does not know: a typo must not be silently ignored."""
    for key in data:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            problems.append(f"{entry}: unknown key {key!r} (known keys: {known})")
