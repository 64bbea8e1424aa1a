"""Fixtures for nlp: the operator's test courtyards and one Analyzer per session, loaded
with its jieba cache in a temporary directory (nothing is written into the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import Analyzer, Courtyard

COURTYARDS = (
    Courtyard("lvchang", "铝厂小区", ("铝厂院", "铝厂家属院")),
    Courtyard("tbl191", "桐柏路191号院", ("191号院", "桐柏路191院")),
    Courtyard("qjl50", "前进路50号院", ("前进路50院", "50号院")),
    Courtyard("hzl24", "互助路24号院", ("互助路24院", "24号院")),
)


@pytest.fixture(scope="session")
def jieba_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jieba-cache")


@pytest.fixture(scope="session")
def analyzer(jieba_cache: Path) -> Analyzer:
    return Analyzer.load(COURTYARDS, cache_dir=jieba_cache)
