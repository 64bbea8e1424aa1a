"""`python -m nlp evaluate FILE`: the shipped Analyzer (model + safety rules + policy), the
model alone, and the keyword baseline, scored on a labelled TSV as Markdown tables."""

from __future__ import annotations

from pathlib import Path

from nlp.analyzer import Analyzer
from nlp.baseline import keyword_intent
from nlp.corpus import Example, read_tsv
from nlp.metrics import Scores, report, score
from nlp.schema import INTENTS


def evaluate(
    analyzer: Analyzer, path: Path, examples: list[Example] | None = None, errors: bool = False
) -> str:
    """The report for `path` (its `examples`, if already read); `errors` lists the misses."""
    examples = read_tsv(path) if examples is None else examples
    truth = [e.label for e in examples]
    analyses = [analyzer.analyze(e.text) for e in examples]
    alone = []
    for example in examples:
        probs = analyzer.read(example.text).probabilities
        alone.append(max(probs, key=probs.__getitem__))
    systems: list[tuple[str, Scores]] = [
        (
            f"nlp Analyzer: {analyzer.model.meta.get('model', 'model')} + safety rules",
            score(truth, [a.intent for a in analyses], INTENTS),
        ),
        ("keyword baseline", score(truth, [keyword_intent(e.text) for e in examples], INTENTS)),
    ]
    out = [f"## {path.name}: {len(examples)} messages", ""]
    for title, scores in systems:
        out += [f"### {title}", "", report(scores), ""]
    out += [
        "### summary",
        "",
        "| system | macro-F1 | accuracy | emergency recall |",
        "| --- | ---: | ---: | ---: |",
    ]
    summary = [
        *systems[:1],
        ("model alone (argmax, no rules)", score(truth, alone, INTENTS)),
        *systems[1:],
    ]
    for title, scores in summary:
        out.append(
            f"| {title} | {scores.macro_f1:.3f} | {scores.accuracy:.3f} "
            f"| {scores.recall['emergency']:.3f} |"
        )
    if errors:
        out += ["", "### misclassified (true -> predicted, confidence)", ""]
        for example, analysis in zip(examples, analyses, strict=True):
            if analysis.intent != example.label:
                out.append(
                    f"- {example.label} -> {analysis.intent} "
                    f"({analysis.confidence:.2f}): {example.text}"
                )
    return "\n".join(out)
