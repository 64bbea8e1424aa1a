"""The Analyzer: one message in, intent + confidence + slots out. Loaded once per process.

How the intent is decided, in order:
1. A STRONG safety rule (救命, 着火, 困电梯 ...) makes it an emergency, whatever the model says.
2. The model's choice, if it is emergency (at any probability).
3. A WEAK safety rule and an emergency probability of at least `weak_emergency`: emergency.
4. The model is unsure (top probability below `unsure`): emergency if its emergency
   probability is at least `unsure_emergency` (anything that may be one is treated as one),
   else "other" with that low confidence, so the bot asks back.
5. A case number in a message that is not an emergency makes it a query.
6. Otherwise the model's choice and its probability.
Then a message that names a place and nothing else (就在我家楼下, 东门那边; nlp.slots) is
`other` unless a safety rule spoke: it answers "where?", it reports nothing. The model, which
never saw such fragments alone, reads some as emergencies or disputes.
The thresholds are chosen in training on cross-validated predictions of the training split
(see nlp/train.py) and stored in the model file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from nlp import safety
from nlp.courtyards import CourtyardMatcher
from nlp.features import extract
from nlp.model import LinearModel
from nlp.pipeline import prepare
from nlp.schema import Analysis, Courtyard, Slots
from nlp.slots import Found
from nlp.text import compact, normalize
from nlp.tokenizer import jieba, load_tokenizer

DEFAULT_THRESHOLDS = {"unsure": 0.4, "weak_emergency": 0.1, "unsure_emergency": 0.15}


@dataclass(frozen=True)
class Reading:
    """Everything derived from one message on the way to an Analysis (useful in tests)."""

    found: Found
    canonical: str  # masked, typo- and dialect-corrected text the model and rules read
    probabilities: dict[str, float]
    hazard: safety.Hazard


class Analyzer:
    """The model, the courtyard names and the tokenizer of one org. Nothing changes after
    `load`, so one Analyzer may serve every thread of a process."""

    def __init__(
        self, model: LinearModel, matcher: CourtyardMatcher, tokenizer: jieba.Tokenizer
    ) -> None:
        self.model = model
        self.matcher = matcher
        self.tokenizer = tokenizer
        self.thresholds = {**DEFAULT_THRESHOLDS, **model.meta.get("thresholds", {})}

    @classmethod
    def load(
        cls,
        courtyards: Iterable[Courtyard] = (),
        model_path: Path | None = None,
        userdict_path: Path | None = None,
        cache_dir: Path | None = None,
    ) -> Analyzer:
        """Read the model and the user dictionary, and learn this org's courtyard names."""
        matcher = CourtyardMatcher(courtyards)
        tokenizer = load_tokenizer(userdict_path, matcher.words(), cache_dir)
        return cls(LinearModel.load(model_path), matcher, tokenizer)

    def tokenize(self, text: str) -> list[str]:
        """jieba's words for `text` (normalized), with this org's courtyard names kept whole."""
        return [t for t in self.tokenizer.cut(normalize(text), HMM=False) if t.strip()]

    def read(self, text: str) -> Reading:
        """Slots, masked canonical text, model probabilities and hazard of `text`."""
        found, masked = prepare(text, self.matcher)
        features = extract(masked, self.model.spec, self._cut)
        probs = self.model.probabilities(features)
        return Reading(
            found=found,
            canonical=masked,
            probabilities=dict(zip(self.model.labels, probs.tolist(), strict=True)),
            hazard=safety.assess(compact(masked)),
        )

    def analyze(self, text: str) -> Analysis:
        """Intent, confidence and slots of one message; an emergency is always urgent."""
        if not text or text.isspace():
            return Analysis("other", 0.0, Slots())
        reading = self.read(text)
        intent, confidence = self.decide(reading)
        if reading.found.only_place and reading.hazard.level is safety.Level.NONE:
            intent, confidence = "other", reading.probabilities["other"]
        slots = _slots(reading.found, reading.hazard)
        if intent == "emergency":
            slots = replace(slots, urgent=True)
        rule = reading.hazard.rule if reading.hazard.level is not safety.Level.NONE else ""
        return Analysis(intent, round(confidence, 4), slots, rule)

    def extract_slots(self, text: str) -> Slots:
        """Slots only: for a reply such as 三号楼二单元 in the middle of a dialogue."""
        found, masked = prepare(text, self.matcher)
        return _slots(found, safety.assess(compact(masked)))

    def decide(self, reading: Reading) -> tuple[str, float]:
        """The intent and confidence for a Reading (the policy in the module docstring)."""
        return decide(
            reading.probabilities, reading.hazard, reading.found.case_number, self.thresholds
        )

    def _cut(self, text: str) -> Iterable[str]:
        return self.tokenizer.cut(text, HMM=False)


def decide(
    probs: dict[str, float],
    hazard: safety.Hazard,
    case_number: str | None,
    thresholds: dict[str, float],
) -> tuple[str, float]:
    """The policy of the module docstring, as a function so training can tune its thresholds."""
    top = max(probs, key=probs.__getitem__)
    p_top, p_emergency = probs[top], probs["emergency"]
    if hazard.level is safety.Level.STRONG:
        return "emergency", max(p_emergency, 0.95)
    if top == "emergency":
        return "emergency", p_top
    if hazard.level is safety.Level.WEAK and p_emergency >= thresholds["weak_emergency"]:
        return "emergency", max(p_emergency, 0.6)
    if p_top < thresholds["unsure"]:
        if p_emergency >= thresholds["unsure_emergency"]:
            return "emergency", max(p_emergency, 0.5)
        if case_number:
            return "query", max(probs["query"], 0.9)
        return "other", p_top
    if case_number and top != "query":
        return "query", max(probs["query"], 0.9)
    return top, p_top


def _slots(found: Found, hazard: safety.Hazard) -> Slots:
    return Slots(
        courtyard=found.courtyard,
        building=found.building,
        unit=found.unit,
        room=found.room,
        phone=found.phone,
        case_number=found.case_number,
        urgent=found.urgent_words or hazard.level is safety.Level.STRONG,
    )
