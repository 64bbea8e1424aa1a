"""`python -m bot web|worker|serve` refuse a broken setting or operator file with one message
before anything starts: no traceback, no Redis, no gunicorn."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main
from config.settings import CONFIG_DIR


@pytest.fixture
def quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No service URLs (so a start would reach for an embedded Redis) and a scratch directory."""
    for name in ("REDIS_URL", "DATABASE_URL", "PORT", "GRIDBOT_WORDING", "GRIDBOT_ORG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def misspelt_wording(folder: Path) -> Path:
    """The shipped wording with one placeholder the code never fills."""
    text = (CONFIG_DIR / "wording.yaml").read_text(encoding="utf-8")
    assert "{number}" in text
    path = folder / "wording.yaml"
    path.write_text(text.replace("{number}", "{case_number}", 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [["worker"], ["web", "--workers", "1"], ["serve"]])
def test_a_bad_wording_file_is_one_message_and_nothing_starts(
    command: list[str],
    quiet_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = misspelt_wording(quiet_env)
    monkeypatch.setenv("GRIDBOT_WORDING", str(path))
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gridbot: {path}")
    assert "{case_number}" in err and "Traceback" not in err
    assert list(quiet_env.iterdir()) == [path]  # no var/, no Redis files


def test_a_bad_org_file_is_one_message(
    quiet_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    org = quiet_env / "org.yaml"
    org.write_text("streets: []\nstreetz: []\n", encoding="utf-8")
    monkeypatch.setenv("GRIDBOT_ORG", str(org))
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gridbot: {org}") and "streetz" in err


def test_a_bad_setting_is_one_message(
    quiet_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORT", "eighty")
    assert main(["web"]) == 2
    assert "PORT must be a number" in capsys.readouterr().err
