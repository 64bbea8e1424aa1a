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

    def __post_init__(self) -> None:
        self.index = {feature: i for i, feature in enumerate(self.vocabulary)}

    def probabilities(self, features: Sequence[str]) -> np.ndarray:
        """Softmax over labels of one message's features (sublinear TF-IDF, L2-normalised)."""
        counts = Counter(i for i in map(self.index.get, features) if i is not None)
        if counts:
            rows = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            tf = np.fromiter(
                (1.0 + math.log(c) for c in counts.values()), dtype=np.float64, count=len(counts)
            )
            weights = tf * self.idf[rows]
            weights /= np.sqrt(weights @ weights)
            scores = weights @ self.coef[rows] + self.intercept
        else:
            scores = self.intercept.astype(np.float64)
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()

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
