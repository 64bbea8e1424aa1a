"""Features of one canonical, masked message: jieba words and character n-grams.

Both are needed: words carry the community vocabulary the user dictionary teaches jieba
(楼道灯, 加装电梯), character n-grams survive typos and dialect that jieba cuts badly. Runs of
digits become "0" and Latin words stay whole, so 3号楼 and 12号楼 look alike. The same code
runs in training and in the shipped Analyzer, so the two can never disagree."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nlp.text import PUNCT

_UNIT_RE = re.compile(r"\d+(?:\.\d+)?|[a-z]+|\S")
_DIGIT_RUN_RE = re.compile(r"\d+")

Cutter = Callable[[str], Iterable[str]]


@dataclass(frozen=True)
class FeatureSpec:
    """Which features to extract; stored with the model so inference matches training."""

    words: bool = True
    char_min: int = 1
    char_max: int = 3

    def as_dict(self) -> dict:
        return {"words": self.words, "char_min": self.char_min, "char_max": self.char_max}


def units(text: str) -> list[str]:
    """Characters, with digit runs as '0' and Latin words whole; punctuation and spaces gone."""
    return ["0" if u[0].isdigit() else u for u in _UNIT_RE.findall(text) if u not in PUNCT]


def extract(text: str, spec: FeatureSpec, cut: Cutter | None) -> list[str]:
    """The feature strings of `text` (with repeats: the vectorizer counts them). Their order
    matters too: it is the order of the model's sums, so changing it changes the last bits."""
    seq = units(text)
    if not seq:
        return ["<empty>"]
    feats: list[str] = []
    for n in range(spec.char_min, spec.char_max + 1):
        # The sequence zipped with itself shifted: every run of n units, no slice per gram.
        shifted = [seq[k:] for k in range(n)]
        feats += ["c" + "".join(gram) for gram in zip(*shifted, strict=False)]
    if spec.words and cut is not None:
        has_digits = _DIGIT_RUN_RE.search(text) is not None  # rare: spare the per-token sub
        for token in cut(text):
            token = token.strip()
            if token and token not in PUNCT:
                feats.append("w" + (_DIGIT_RUN_RE.sub("0", token) if has_digits else token))
    if len(seq) <= 2:  # very short messages are mostly greetings or bare numbers
        feats.append("<short>")
    return feats
