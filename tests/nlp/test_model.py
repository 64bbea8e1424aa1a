"""The model file and training: no pickle, numpy inference equal to scikit-learn's, training
deterministic, and no scikit-learn when classifying."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from nlp import Analyzer
from nlp.corpus import DEV, TRAIN, read_tsv
from nlp.model import DEFAULT_MODEL, LinearModel
from nlp.pipeline import featurize
from nlp.schema import INTENTS

ROOT = Path(__file__).resolve().parents[2]


def small_corpus(tmp_path: Path, per_label: int = 25) -> Path:
    """The first `per_label` training lines of each intent: trains in well under a second."""
    taken: dict[str, int] = {}
    lines = []
    for example in read_tsv(TRAIN):
        if taken.get(example.label, 0) < per_label:
            taken[example.label] = taken.get(example.label, 0) + 1
            lines.append(f"{example.label}\t{example.text}")
    path = tmp_path / "small.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_shipped_model_is_plain_arrays() -> None:
    with zipfile.ZipFile(DEFAULT_MODEL) as archive:
        assert sorted(archive.namelist()) == [
            "coef.npy",
            "idf.npy",
            "intercept.npy",
            "meta.npy",
            "vocabulary.npy",
        ]
    with np.load(DEFAULT_MODEL, allow_pickle=False) as data:  # raises on any object array
        meta = json.loads(str(data["meta"]))
        assert data["coef"].shape == (len(data["vocabulary"]), len(INTENTS))
    assert meta["labels"] == list(INTENTS)
    assert set(meta["thresholds"]) == {"unsure", "weak_emergency", "unsure_emergency"}


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = LinearModel.load()
    model.save(tmp_path / "copy.npz")
    copy = LinearModel.load(tmp_path / "copy.npz")
    features = ["c楼", "c道", "c楼道", "w楼道灯", "c坏", "nope"]
    assert np.allclose(model.probabilities(features), copy.probabilities(features))
    assert copy.meta["thresholds"] == model.meta["thresholds"]


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    model = LinearModel.load()
    model.meta["format"] = 99
    path = tmp_path / "future.npz"
    with path.open("wb") as handle:
        np.savez(
            handle,
            vocabulary=np.array(["x"]),
            idf=np.ones(1),
            coef=np.ones((1, 7)),
            intercept=np.zeros(7),
            meta=np.array(json.dumps({"format": 99})),
        )
    with pytest.raises(ValueError, match="format 99"):
        LinearModel.load(path)


def test_numpy_inference_matches_scikit_learn(tmp_path: Path, jieba_cache: Path) -> None:
    pytest.importorskip("sklearn")
    from nlp.train import CHOSEN, Featurizer, export, fit

    examples = read_tsv(small_corpus(tmp_path))
    featurizer = Featurizer(jieba_cache)
    features = featurizer.features([e.text for e in examples], CHOSEN.spec)
    vectorizer, classifier = fit(features, [e.label for e in examples], CHOSEN)
    model = export(vectorizer, classifier, CHOSEN.spec, {})
    probe = featurizer.features(
        ["楼道灯坏了", "救命", "建议加装电梯", "你好", "查询进度"], CHOSEN.spec
    )
    expected = classifier.predict_proba(vectorizer.transform(probe))
    order = [list(classifier.classes_).index(label) for label in INTENTS]
    for row, features_of_one in zip(expected[:, order], probe, strict=True):
        assert np.allclose(model.probabilities(features_of_one), row, atol=1e-6)


def test_training_is_deterministic(tmp_path: Path, jieba_cache: Path) -> None:
    pytest.importorskip("sklearn")
    from nlp.train import train

    corpus = small_corpus(tmp_path)
    first = train(corpus, tmp_path / "a.npz", jieba_cache, log=lambda line: None)
    second = train(corpus, tmp_path / "b.npz", jieba_cache, log=lambda line: None)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    assert first.meta == second.meta


def test_classifying_does_not_import_scikit_learn(jieba_cache: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from nlp import Analyzer; "
        f"a = Analyzer.load(cache_dir=Path({str(jieba_cache)!r})); a.analyze('救命'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "[]"


def _plain_probabilities(model: LinearModel, features: list[str]) -> np.ndarray:
    """The formula written plainly with numpy: what probabilities() computed before it was
    made cheaper."""
    counts = Counter(i for i in map(model.index.get, features) if i is not None)
    if not counts:
        scores = model.intercept.astype(np.float64)
    else:
        rows = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64)
        weights = tf * model.idf[rows]
        weights /= np.sqrt(weights @ weights)
        scores = weights @ model.coef[rows] + model.intercept
    scores = np.exp(scores - scores.max())
    return scores / scores.sum()


def test_probabilities_are_the_plain_formula_to_the_bit(analyzer: Analyzer) -> None:
    """probabilities() trims Python and numpy overhead; the sums must stay the same, in the
    same order, so that no probability moves even in its last bit."""
    model = analyzer.model
    texts = [e.text for e in read_tsv(DEV)] + ["", "你好", "xyz"]
    for text in texts:
        features = featurize(text, analyzer.matcher, model.spec, analyzer._cut)
        assert np.array_equal(model.probabilities(features), _plain_probabilities(model, features))


GOLDEN = Path(__file__).with_name("golden_probabilities.json")


def test_probabilities_are_those_recorded_before_the_speedup(analyzer: Analyzer) -> None:
    """Recorded (as exact hex floats) with the model code of commit 7a06d16, before its
    arithmetic was rearranged for speed. The same to within a few units in the last place:
    OpenBLAS picks its dot-product kernel for the CPU it finds, and on another CPU the last bit
    or two of a sum may differ (seen: 1e-15 relative). A change in what is computed moves a
    probability by far more than the tolerance; the bit-for-bit check against the plain formula
    on the same machine is the test above."""
    recorded = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for text, probabilities in recorded.items():
        now = analyzer.read(text).probabilities
        assert now.keys() == probabilities.keys(), text
        for label, hex_value in probabilities.items():
            expected = float.fromhex(hex_value)
            assert math.isclose(now[label], expected, rel_tol=1e-12, abs_tol=1e-300), (
                text,
                label,
            )
