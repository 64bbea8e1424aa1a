"""Every sentence key the code uses exists in config/wording.yaml, with the fields it fills."""

from __future__ import annotations

import ast
import logging
import string
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from bot.app import create_app
from cases.yamlfile import ConfigError
from config.settings import CONFIG_DIR, PROJECT_ROOT, Settings
from config.wording import SHIPPED_WORDING, WARN_KEYS, WordingError, load_wording
from workers.context import WorkerContext
from workers.options import WorkerOptions


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


# The rules an operator's own wording file (GRIDBOT_WORDING) is held to, against a small
# contract standing in for the shipped file.
CONTRACT = """\
repair:
  opened: 已受理，工单号 {number}，请在{deadline}前等待回复。
  cancelled: 已取消。
push:
  due: 请于{at:%H:%M}前处理。
status:
  open: 待接单
"""


@pytest.fixture
def contract(tmp_path: Path) -> Path:
    path = tmp_path / "shipped.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    return path


def operator_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, contract: Path) -> list[str]:
    with pytest.raises(WordingError) as error:
        load_wording(path, shipped=contract)
    assert str(error.value).startswith(f"{path}: ")  # the message names the file
    return error.value.problems


def test_an_operator_file_with_the_same_keys_and_fields_is_used(
    tmp_path: Path, contract: Path
) -> None:
    mine = operator_file(
        tmp_path,
        "repair:\n  opened: 好的，{deadline}前一定回复，单号{number}\n  cancelled: 撤了\n"
        "push: {due: '{at}前'}\nstatus: {open: 等人接}\n",
    )
    wording = load_wording(mine, shipped=contract)
    assert wording("repair.opened", number="A1", deadline="明天") == "好的，明天前一定回复，单号A1"
    assert wording("status.open") == "等人接"


def test_an_unknown_key_names_the_nearest_known_one(tmp_path: Path, contract: Path) -> None:
    mine = operator_file(tmp_path, "repair:\n  opend: 已受理 {number}\nweather: {today: 晴}\n")
    assert problems_of(mine, contract) == [
        "repair.opend: unknown key, never said by gridbot; did you mean 'repair.opened'?",
        "weather.today: unknown key, never said by gridbot; the keys are those of "
        "wording.yaml shipped with gridbot",
    ]


def test_a_field_the_code_does_not_pass_names_the_allowed_ones(
    tmp_path: Path, contract: Path
) -> None:
    mine = operator_file(
        tmp_path,
        "repair:\n  opened: 单号 {case_number} {case_number}，{who}\n"
        "  cancelled: 已取消 {number}\n",
    )
    assert problems_of(mine, contract) == [
        "repair.opened: {case_number} is not filled in by gridbot; did you mean {number}? "
        "this sentence may use {deadline}, {number}",
        "repair.opened: {who} is not filled in by gridbot; this sentence may use "
        "{deadline}, {number}",
        "repair.cancelled: {number} is not filled in by gridbot; this sentence takes no fields "
        "(to show a brace itself, write {{ and }})",
    ]


@pytest.mark.parametrize("field", ["{}", "{0}", "{number.real}", "{number[0]}"])
def test_positional_and_indexed_fields_are_refused(
    tmp_path: Path, contract: Path, field: str
) -> None:
    mine = operator_file(tmp_path, f"repair:\n  opened: '单号 {field}'\n")
    (problem,) = problems_of(mine, contract)
    assert problem.startswith(f"repair.opened: {field} is not filled in by gridbot")


@pytest.mark.parametrize(
    ("text", "shown", "fix"),
    [
        ("'{number:>3}'", "{number:>3}", "{number}"),
        ("'{number!r}'", "{number!r}", "{number}"),
        ("'{number!z}'", "{number!z}", "{number}"),
    ],
)
def test_formatting_the_shipped_text_does_not_use_is_refused(
    tmp_path: Path, contract: Path, text: str, shown: str, fix: str
) -> None:
    mine = operator_file(tmp_path, f"repair:\n  opened: {text}\n")
    assert problems_of(mine, contract) == [
        f"repair.opened: {shown}: this formatting is not supported (the code decides what "
        f"kind of value number is); write {fix}"
    ]


def test_formatting_the_shipped_text_uses_is_allowed(tmp_path: Path, contract: Path) -> None:
    for text in ("'{at:%H:%M}'", "'{at}'"):
        load_wording(operator_file(tmp_path, f"push:\n  due: {text}\n"), shipped=contract)
    mine = operator_file(tmp_path, "push:\n  due: '{at:%Y}'\n")
    assert problems_of(mine, contract) == [
        "push.due: {at:%Y}: this formatting is not supported (the code decides what kind of "
        "value at is); write {at} or {at:%H:%M}"
    ]


def test_a_field_nested_in_a_format_spec_is_checked(tmp_path: Path, contract: Path) -> None:
    mine = operator_file(tmp_path, "push:\n  due: '{at:{width}}'\n")
    assert any(
        p.startswith("push.due: {width} is not filled in") for p in problems_of(mine, contract)
    )


def test_every_mistake_is_listed_at_once(tmp_path: Path, contract: Path) -> None:
    mine = operator_file(
        tmp_path, "repair:\n  opened: '{num}'\n  canceled: 取消\n  broken: '{x'\nstatus:\n  open:\n"
    )
    problems = problems_of(mine, contract)
    # Shape and braces first; keys and fields are checked once the file reads as sentences.
    assert problems == [
        "status.open: empty; write the sentence, or delete the line",
        "repair.broken: broken {placeholder}: expected '}' before end of string "
        "(to show a brace itself, write {{ or }})",
    ]
    mine.write_text("repair:\n  opened: '{num}'\n  canceled: 取消\n", encoding="utf-8")
    assert [p.split(":")[0] for p in problems_of(mine, contract)] == [
        "repair.opened",
        "repair.canceled",
    ]


def test_a_missing_key_falls_back_to_the_shipped_text_with_one_warning(
    tmp_path: Path, contract: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mine = operator_file(tmp_path, "repair:\n  opened: 单号{number}\n")
    with caplog.at_level(logging.WARNING, logger="config.wording"):
        wording = load_wording(mine, shipped=contract)
    assert wording("repair.opened", number="A1") == "单号A1"
    assert wording("repair.cancelled") == "已取消。"
    assert wording("push.due", at=datetime(2024, 5, 1, 9, 30)) == "请于09:30前处理。"
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert str(mine) in message
    assert "3 sentence(s) missing" in message
    assert "repair.cancelled, push.due, status.open" in message


def test_the_fallback_warning_counts_what_it_does_not_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shipped = operator_file(tmp_path, "".join(f"k{i}: 句{i}\n" for i in range(WARN_KEYS + 3)))
    mine = tmp_path / "empty-ish.yaml"
    mine.write_text("k0: 我的句子\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="config.wording"):
        load_wording(mine, shipped=shipped)
    assert f"{WARN_KEYS + 2} sentence(s) missing" in caplog.text
    assert "and 2 more" in caplog.text
    assert f"k{WARN_KEYS + 1}," not in caplog.text


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path, contract: Path) -> None:
    mine = tmp_path / "gbk.yaml"
    mine.write_bytes("repair:\n  cancelled: 已取消\n".encode("gbk"))
    (problem,) = problems_of(mine, contract)
    assert "not UTF-8" in problem


def bad_copy_of_the_shipped_file(tmp_path: Path) -> Path:
    """The shipped wording with one field misspelt, as an operator might save it."""
    wording = load_wording(SHIPPED_WORDING)
    key = next(k for k, t in wording.texts.items() if "{number}" in t)
    texts = {**wording.texts, key: wording.texts[key].replace("{number}", "{case_number}")}
    path = tmp_path / "wording.yaml"
    path.write_text(yaml.safe_dump(texts, allow_unicode=True), encoding="utf-8")
    return path


def test_starting_with_a_bad_wording_file_fails_with_the_message(tmp_path: Path) -> None:
    bad = bad_copy_of_the_shipped_file(tmp_path)
    settings = Settings.from_env(
        {
            "GRIDBOT_WORDING": str(bad),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'gridbot.sqlite3'}",
            "REDIS_URL": "redis://127.0.0.1:9/0",
        }
    )
    for start in (
        lambda: create_app(settings, warm=False),
        lambda: WorkerContext.from_settings(settings, WorkerOptions()),
    ):
        with pytest.raises(ConfigError) as error:
            start()
        assert str(error.value).startswith(f"{bad}: 1 problem(s):")
        assert "{case_number} is not filled in by gridbot; did you mean {number}?" in str(
            error.value
        )
