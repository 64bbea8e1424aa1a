"""The shipped intent model: TF-IDF weights and a linear classifier, as plain arrays.

Stored as a compressed .npz (vocabulary, idf, coefficients, intercepts, labels, and a JSON
metadata string), read with allow_pickle=False: no pickle, so loading a model cannot run code
and does not depend on the scikit-learn version that trained it. Inference is numpy only."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nlp.features import FeatureSpec

DEFAULT_MODEL = Path(__file__).resolve().parent / "model" / "intent.npz"
FORMAT = 1


@dataclass
class LinearModel:
    vocabulary: list[str]
    idf: np.ndarray  # (n_features,)
    coef: np.ndarray  # (n_features, n_labels): transposed, so a message's rows are contiguous
    intercept: np.ndarray  # (n_labels,)
    labels: tuple[str, ...]
    spec: FeatureSpec = field(default_factory=FeatureSpec)
    meta: dict = field(default_factory=dict)  # thresholds, training summary
    index: dict[str, int] = field(init=False, repr=False)
    _idf: list[float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {feature: i for i, feature in enumerate(self.vocabulary)}
        # Every call gathers a message's rows of coef: make them contiguous (training's
        # transpose, and so the .npz, is column-major). idf as Python floats: see below.
        self.coef = np.ascontiguousarray(self.coef)
        self._idf = self.idf.tolist()

    def probabilities(self, features: Sequence[str]) -> np.ndarray:
        """Softmax over labels of one message's features (sublinear TF-IDF, L2-normalised).

        A message has a few dozen features, so the cost is mostly calls, not arithmetic: the
        weights are computed in Python (one IEEE product each: the same bits as numpy) and
        numpy is left the sums and exp, done as before, so results are equal to the bit. A
        pure-Python dot product was tried: twice as slow here, and its sums round otherwise."""
        counts = Counter(map(self.index.get, features))
        counts.pop(None, None)  # features the model never saw
        if counts:
            rows = np.array(list(counts), dtype=np.intp)
            weights = np.array([(1.0 + math.log(c)) * self._idf[i] for i, c in counts.items()])
            weights /= np.sqrt(weights @ weights)
            scores = weights @ self.coef.take(rows, axis=0) + self.intercept
        else:
            scores = self.intercept.astype(np.float64)
        scores = np.exp(scores - np.maximum.reduce(scores))
        return scores / np.add.reduce(scores)

    def save(self, path: Path) -> None:
        meta = {"format": FORMAT, "labels": list(self.labels), "spec": self.spec.as_dict()}
        meta.update(self.meta)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(
                handle,
                vocabulary=np.array(self.vocabulary, dtype=np.str_),
                idf=self.idf.astype(np.float32),
                coef=self.coef.astype(np.float32),
                intercept=self.intercept.astype(np.float32),
                meta=np.array(json.dumps(meta, ensure_ascii=False, sort_keys=True)),
            )

    @classmethod
    def load(cls, path: Path | None = None) -> LinearModel:
        path = path or DEFAULT_MODEL
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != FORMAT:
                raise ValueError(f"{path}: model format {meta.get('format')}, expected {FORMAT}")
            spec = FeatureSpec(**meta.pop("spec"))
            labels = tuple(meta.pop("labels"))
            return cls(
                vocabulary=data["vocabulary"].tolist(),
                idf=data["idf"].astype(np.float64),
                coef=data["coef"].astype(np.float64),
                intercept=data["intercept"].astype(np.float64),
                labels=labels,
                spec=spec,
                meta=meta,
            )
