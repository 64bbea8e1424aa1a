"""`python -m nlp` as a user runs it: in a subprocess, on stdin/stdout and files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The CLI's environment: jieba's cache in a temporary directory, not in ~/.cache."""
    cache = tmp_path_factory.mktemp("xdg-cache")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cache)}
    env.pop("GRIDBOT_ORG", None)
    return env


def nlp(
    env: dict[str, str], *args: str, stdin: str = "", cwd: Path = ROOT
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nlp", *args],
        input=stdin,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_classify_one_json_line_per_input_line(env: dict[str, str]) -> None:
    stdin = "铝厂小区3号楼2单元楼道灯坏了\n救命 家里着火了\n\n工单261121-0007\n"
    result = nlp(env, "classify", stdin=stdin)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["intent"] for line in lines] == ["repair", "emergency", "other", "query"]
    first = lines[0]
    assert first["slots"]["courtyard"] == "lvchang"  # config/org.yaml, read by default
    assert (first["slots"]["building"], first["slots"]["unit"]) == ("3", "2")
    assert 0.0 < first["confidence"] <= 1.0
    assert lines[1]["slots"]["urgent"] is True
    assert lines[3]["slots"]["case_number"] == "261121-0007"
    assert result.stderr == ""  # jieba's chatter is kept quiet


def test_classify_with_another_org(env: dict[str, str], tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    org.write_text(
        "streets:\n- code: s\n  communities:\n  - code: c\n    courtyards:\n"
        "    - {code: fangzhi, name: 纺织小区, aliases: [纺织院]}\n",
        encoding="utf-8",
    )
    result = nlp(env, "classify", "--org", str(org), stdin="纺织院5栋停水了\n铝厂小区停水了\n")
    assert result.returncode == 0, result.stderr
    slots = [json.loads(line)["slots"]["courtyard"] for line in result.stdout.splitlines()]
    assert slots == ["fangzhi", None]
    result = nlp(env, "classify", "--org", "", stdin="铝厂小区停水了\n")
    assert json.loads(result.stdout)["slots"]["courtyard"] is None


def test_evaluate_prints_model_and_baseline_tables(env: dict[str, str], tmp_path: Path) -> None:
    tsv = tmp_path / "set.tsv"
    tsv.write_text(
        "# a comment\nrepair\t楼道灯坏了\nemergency\t救命\nother\t你好\n"
        "query\t查询进度\nopinion\t建议加装电梯\n",
        encoding="utf-8",
    )
    result = nlp(env, "evaluate", str(tsv), "--errors", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "set.tsv: 5 messages" in out
    assert out.count("| intent | precision | recall | F1 | support |") == 2
    assert out.count("| true \\ predicted |") == 2
    assert "### keyword baseline" in out
    assert "| model alone (argmax, no rules) |" in out
    assert "accuracy 1.000, macro-F1" in out  # the model gets these five right
    assert "| emergency | 1.000 | 1.000 | 1.000 | 1 |" in out


def test_evaluate_reports_bad_lines(env: dict[str, str], tmp_path: Path) -> None:
    tsv = tmp_path / "bad.tsv"
    tsv.write_text("repair\t楼道灯坏了\nbroken\t救命\nno tab here\n", encoding="utf-8")
    result = nlp(env, "evaluate", str(tsv))
    assert result.returncode == 2
    assert "bad.tsv:2: unknown label 'broken'" in result.stderr
    assert "bad.tsv:3: expected 'label<TAB>message'" in result.stderr
    assert "Traceback" not in result.stderr


def test_train_writes_a_model_classify_can_use(env: dict[str, str], tmp_path: Path) -> None:
    corpus = tmp_path / "tiny.tsv"
    lines = [
        "repair\t楼道灯坏了",
        "repair\t下水道堵了",
        "repair\t电梯坏了",
        "emergency\t救命",
        "emergency\t着火了",
        "emergency\t有人晕倒了",
        "other\t你好",
        "other\t谢谢",
        "other\t在吗",
        "dispute\t楼上太吵",
        "dispute\t邻居占车位",
        "dispute\t对门堆杂物",
        "elder_help\t老人想订饭",
        "elder_help\t陪老人去医院",
        "elder_help\t帮老人买菜",
        "opinion\t建议加装电梯",
        "opinion\t希望多种树",
        "opinion\t支持改造",
        "query\t查询进度",
        "query\t我的工单",
        "query\t报修咋样了",
    ] * 5
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = tmp_path / "model.npz"
    result = nlp(env, "train", "--corpus", str(corpus), "--out", str(model), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert model.is_file() and "thresholds" in result.stdout
    result = nlp(env, "classify", "--model", str(model), stdin="楼道灯坏了\n")
    assert json.loads(result.stdout)["intent"] == "repair"


def test_usage_errors(env: dict[str, str]) -> None:
    result = nlp(env)
    assert result.returncode == 2 and "usage:" in result.stderr
    result = nlp(env, "evaluate", "/no/such/file.tsv")
    assert result.returncode == 2 and "file.tsv" in result.stderr
