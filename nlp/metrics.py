"""Precision, recall, F1 and the confusion matrix, in plain Python so `evaluate` needs no
scikit-learn; and their text tables (Markdown, so they paste into the README)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Scores:
    labels: tuple[str, ...]
    precision: dict[str, float]
    recall: dict[str, float]
    f1: dict[str, float]
    support: dict[str, int]
    confusion: list[list[int]]  # rows: true label, columns: predicted, in `labels` order
    accuracy: float

    @property
    def macro_f1(self) -> float:
        return sum(self.f1.values()) / len(self.f1)


def score(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> Scores:
    position = {label: i for i, label in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in labels]
    for t, p in zip(truth, predicted, strict=True):
        confusion[position[t]][position[p]] += 1
    precision, recall, f1, support = {}, {}, {}, {}
    for i, label in enumerate(labels):
        hit = confusion[i][i]
        said = sum(row[i] for row in confusion)
        real = sum(confusion[i])
        precision[label] = hit / said if said else 0.0
        recall[label] = hit / real if real else 0.0
        both = precision[label] + recall[label]
        f1[label] = 2 * precision[label] * recall[label] / both if both else 0.0
        support[label] = real
    correct = sum(confusion[i][i] for i in range(len(labels)))
    return Scores(
        tuple(labels), precision, recall, f1, support, confusion, correct / max(1, len(truth))
    )


def report(scores: Scores) -> str:
    """Per-intent table, the macro and accuracy lines, then the confusion matrix."""
    lines = [
        "| intent | precision | recall | F1 | support |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label in scores.labels:
        lines.append(
            f"| {label} | {scores.precision[label]:.3f} | {scores.recall[label]:.3f} "
            f"| {scores.f1[label]:.3f} | {scores.support[label]} |"
        )
    total = sum(scores.support.values())
    lines.append(f"| **macro** | | | **{scores.macro_f1:.3f}** | {total} |")
    lines.append("")
    lines.append(
        f"accuracy {scores.accuracy:.3f}, macro-F1 {scores.macro_f1:.3f}, "
        f"emergency recall {scores.recall.get('emergency', 0.0):.3f}"
    )
    lines.append("")
    short = [label[:9] for label in scores.labels]
    lines.append("| true \\ predicted | " + " | ".join(short) + " |")
    lines.append("| --- |" + " ---: |" * len(short))
    for label, row in zip(scores.labels, scores.confusion, strict=True):
        lines.append(f"| {label} | " + " | ".join(str(n) for n in row) + " |")
    return "\n".join(lines)
