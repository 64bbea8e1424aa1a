"""Every sentence a resident or staff member reads, from config/wording.yaml.

Kept in one editable file so that a community worker can change the tone without touching
code. Keys are dotted paths ("repair.opened"); values are str.format templates.

The shipped config/wording.yaml is the contract: its keys are the sentences the code asks for,
and the {fields} of each sentence are the ones the code fills in (tests/test_wording.py holds
the code to it). An operator's own copy (GRIDBOT_WORDING) is checked against it at start, so
that a misspelt key or a field the code never passes stops the process with the file, the
sentence and the fix, instead of a KeyError in the middle of a resident's conversation. A
sentence the operator's copy lacks (a file from an older version) falls back to the shipped
text, with one warning."""

from __future__ import annotations

import difflib
import logging
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cases.yamlfile import ConfigError, load_yaml
from config.settings import CONFIG_DIR

SHIPPED_WORDING = CONFIG_DIR / "wording.yaml"
# How many missing keys the fallback warning names before it only counts them.
WARN_KEYS = 10

log = logging.getLogger(__name__)

# (field expression, format spec, conversion) of one {placeholder}: ("number", "", None).
Field = tuple[str, str, str | None]


class WordingError(ConfigError):
    """The wording file is wrong; `problems` lists every mistake found, each naming the
    sentence and the fix."""


class Wording:
    def __init__(self, texts: dict[str, str], path: Path | None = None) -> None:
        self.texts = texts
        self.path = path

    def __call__(self, key: str, **fields: Any) -> str:
        """The sentence for `key` with `fields` filled in. Keys and fields were checked against
        the shipped file at load, and the tests hold the code to the shipped file, so a
        KeyError here is a programming error."""
        return self.texts[key].format(**fields)

    def has(self, key: str) -> bool:
        return key in self.texts


def load_wording(path: Path, shipped: Path = SHIPPED_WORDING) -> Wording:
    """The sentences of `path`, checked against `shipped` (the contract) unless it is that
    file; sentences `path` lacks are taken from `shipped`. Raises WordingError listing every
    mistake."""
    texts = _read_texts(path)
    if path.resolve() == shipped.resolve():
        return Wording(texts, path)
    contract = _read_texts(shipped)
    problems = [problem for key, text in texts.items() for problem in _check(key, text, contract)]
    if problems:
        raise WordingError(path, problems)
    missing = [key for key in contract if key not in texts]
    if missing:
        _warn_missing(path, shipped, missing)
    return Wording({key: texts.get(key, text) for key, text in contract.items()}, path)


def _read_texts(path: Path) -> dict[str, str]:
    """The file's sentences by dotted key, with its shape and braces checked (every mistake
    at once) but not its keys and fields: that needs the contract."""
    try:
        data = load_yaml(path)
    except ConfigError as exc:
        raise WordingError(exc.path, exc.problems) from exc
    problems: list[str] = []
    texts: dict[str, str] = {}
    _flatten(data, "", texts, problems)
    for key, text in texts.items():
        try:
            list(fields(text))
        except ValueError as exc:
            problems.append(
                f"{key}: broken {{placeholder}}: {exc} (to show a brace itself, write {{{{ or }}}})"
            )
    if problems:
        raise WordingError(path, problems)
    return texts


def fields(text: str) -> Iterator[Field]:
    """Every {placeholder} of `text`, including those nested in a format spec ({x:{width}}),
    which str.format fills in too. Raises ValueError on a broken brace."""
    for _literal, name, spec, conversion in string.Formatter().parse(text):
        if name is not None:
            yield name, spec or "", conversion
            if spec:
                yield from fields(spec)


def _flatten(data: Any, prefix: str, out: dict[str, str], problems: list[str]) -> None:
    """Nested mappings to dotted keys; anything but text or a mapping is a mistake."""
    if not isinstance(data, dict):
        where = prefix.rstrip(".") or "top level"
        problems.append(f"{where}: expected a mapping of sentences, e.g. repair: {{opened: …}}")
        return
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, f"{name}.", out, problems)
        elif isinstance(value, str):
            out[name] = value.rstrip("\n")
        elif value is None:
            problems.append(f"{name}: empty; write the sentence, or delete the line")
        else:
            problems.append(f"{name}: a sentence must be text, not {value!r}; put it in quotes")


def _check(key: str, text: str, contract: dict[str, str]) -> list[str]:
    """The mistakes of one sentence of an operator's file against the shipped ones."""
    if key not in contract:
        return [_unknown_key(key, list(contract))]
    allowed: dict[str, set[tuple[str, str | None]]] = {}
    for name, spec, conversion in fields(contract[key]):
        allowed.setdefault(name, {("", None)}).add((spec, conversion))
    problems: list[str] = []
    for name, spec, conversion in fields(text):
        if name not in allowed:
            problem = _unknown_field(key, name, sorted(allowed))
        elif (spec, conversion) not in allowed[name]:
            plain_first = sorted(allowed[name], key=lambda form: (form[0], form[1] or ""))
            forms = [_show(name, s, c) for s, c in plain_first]
            problem = (
                f"{key}: {_show(name, spec, conversion)}: this formatting is not supported "
                f"(the code decides what kind of value {name} is); write {' or '.join(forms)}"
            )
        else:
            continue
        if problem not in problems:
            problems.append(problem)
    return problems


def _unknown_key(key: str, known: list[str]) -> str:
    """A key the code never asks for: most likely a typo, so name the nearest real one."""
    nearest = difflib.get_close_matches(key, known, n=1)
    hint = (
        f"did you mean {nearest[0]!r}?"
        if nearest
        else f"the keys are those of {SHIPPED_WORDING.name} shipped with gridbot"
    )
    return f"{key}: unknown key, never said by gridbot; {hint}"


def _unknown_field(key: str, name: str, allowed: list[str]) -> str:
    """A placeholder the code does not fill in for this sentence: it would fail when said."""
    shown = "{" + name + "}"
    if not allowed:
        return (
            f"{key}: {shown} is not filled in by gridbot; this sentence takes no fields "
            "(to show a brace itself, write {{ and }})"
        )
    choices = ", ".join("{" + a + "}" for a in allowed)
    nearest = difflib.get_close_matches(name, allowed, n=1)
    hint = f"did you mean {{{nearest[0]}}}? " if nearest else ""
    return f"{key}: {shown} is not filled in by gridbot; {hint}this sentence may use {choices}"


def _show(name: str, spec: str, conversion: str | None) -> str:
    """A placeholder as written in the file: {name!conversion:spec}."""
    return (
        "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
    )


def _warn_missing(path: Path, shipped: Path, missing: list[str]) -> None:
    """One warning for all the fallbacks: an older file keeps working after an upgrade, and
    the operator learns which sentences to copy over to change them."""
    named = ", ".join(missing[:WARN_KEYS])
    more = f" and {len(missing) - WARN_KEYS} more" if len(missing) > WARN_KEYS else ""
    log.warning(
        "%s: %d sentence(s) missing, saying the shipped text of %s: %s%s "
        "(copy them from there to change them)",
        path,
        len(missing),
        shipped,
        named,
        more,
    )
