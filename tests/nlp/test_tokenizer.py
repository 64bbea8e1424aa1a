"""The private jieba tokenizer: community words and courtyard names stay whole; the user
dictionary is validated; the global jieba is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import Analyzer
from nlp.tokenizer import DEFAULT_USERDICT, UserDictError, load_tokenizer, read_userdict


def test_courtyard_names_and_community_words_stay_one_token(analyzer: Analyzer) -> None:
    tokens = analyzer.tokenize("铝厂小区3号楼楼道灯坏了 建议加装电梯 理事会 化粪池满了")
    for word in ("铝厂小区", "楼道灯", "加装电梯", "理事会", "化粪池"):
        assert word in tokens
    assert "桐柏路191号院" in analyzer.tokenize("桐柏路191号院的网格员")
    assert "网格员" in analyzer.tokenize("桐柏路191号院的网格员")


def test_tokenizers_are_private(jieba_cache: Path, analyzer: Analyzer) -> None:
    bare = load_tokenizer(cache_dir=jieba_cache)  # same dictionary, no courtyards
    assert "铝厂小区" not in list(bare.cut("铝厂小区3号楼", HMM=False))
    assert "铝厂小区" in analyzer.tokenize("铝厂小区3号楼")
    import jieba

    assert "铝厂小区" not in jieba.dt.FREQ  # the global tokenizer never learnt it


def test_shipped_userdict_is_valid() -> None:
    entries = read_userdict(DEFAULT_USERDICT)
    words = {e.word for e in entries}
    assert {"楼道灯", "化粪池", "加装电梯", "理事会", "网格员"} <= words
    assert len(words) == len(entries), "duplicate words"


def test_bad_userdict_lines_are_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "userdict.txt"
    path.write_text(
        "# comment\n楼道灯 n\n电梯 abc1 n\n\n化粪池 12 n x\n理事会 7 n\n", encoding="utf-8"
    )
    with pytest.raises(UserDictError) as info:
        read_userdict(path)
    message = str(info.value)
    assert f"{path}:3: 电梯: frequency 'abc1' is not a number" in message
    assert f"{path}:5:" in message
    assert ":2:" not in message and ":6:" not in message


def test_userdict_must_be_utf8(tmp_path: Path) -> None:
    path = tmp_path / "userdict.txt"
    path.write_bytes("楼道灯".encode("gbk"))
    with pytest.raises(UserDictError, match="not UTF-8"):
        read_userdict(path)


def test_userdict_entries_reach_the_tokenizer(tmp_path: Path, jieba_cache: Path) -> None:
    path = tmp_path / "userdict.txt"
    path.write_text("灯泡不亮 n\n", encoding="utf-8")
    tokenizer = load_tokenizer(path, cache_dir=jieba_cache)
    assert "灯泡不亮" in list(tokenizer.cut("楼道灯泡不亮", HMM=False))
