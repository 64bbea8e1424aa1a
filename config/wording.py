"""Every sentence a resident or staff member reads, from config/wording.yaml.

Kept in one editable file so that a community worker can change the tone without touching
code. Keys are dotted paths ("repair.opened"); values are str.format templates."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import yaml


class WordingError(ValueError):
    pass


class Wording:
    def __init__(self, texts: dict[str, str], path: Path | None = None) -> None:
        self.texts = texts
        self.path = path

    def __call__(self, key: str, **fields: Any) -> str:
        """The sentence for `key` with `fields` filled in; a missing key is a programming error
        caught by the tests that check every key the code uses."""
        return self.texts[key].format(**fields)

    def has(self, key: str) -> bool:
        return key in self.texts


def load_wording(path: Path) -> Wording:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise WordingError(f"{path}: cannot read the wording file: {exc}") from exc
    texts: dict[str, str] = {}
    _flatten(data, "", texts, path)
    for key, text in texts.items():
        try:
            list(string.Formatter().parse(text))
        except ValueError as exc:
            raise WordingError(f"{path}: {key}: broken {{placeholder}}: {exc}") from exc
    return Wording(texts, path)


def _flatten(data: Any, prefix: str, out: dict[str, str], path: Path) -> None:
    if not isinstance(data, dict):
        raise WordingError(f"{path}: {prefix or 'top level'}: expected a mapping of sentences")
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, f"{name}.", out, path)
        elif isinstance(value, str):
            out[name] = value.rstrip("\n")
        else:
            raise WordingError(f"{path}: {name}: a sentence must be text, not {value!r}")
