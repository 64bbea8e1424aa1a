"""Reading labelled messages: TSV files of `label<TAB>message`, '#' lines are comments."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nlp.schema import INTENTS

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
TRAIN = CORPUS_DIR / "train.tsv"
DEV = CORPUS_DIR / "dev.tsv"


class CorpusError(ValueError):
    """A labelled file has lines that cannot be read; the message lists them all."""


@dataclass(frozen=True)
class Example:
    label: str
    text: str


def read_tsv(path: Path) -> list[Example]:
    examples, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        label, tab, text = line.partition("\t")
        label = label.strip()
        if not tab or not text.strip():
            problems.append(f"{path}:{number}: expected 'label<TAB>message'")
        elif label not in INTENTS:
            problems.append(f"{path}:{number}: unknown label {label!r} (one of {INTENTS})")
        else:
            examples.append(Example(label, text.strip()))
    if problems:
        raise CorpusError("\n".join(problems))
    return examples
