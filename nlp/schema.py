"""The values nlp hands out and takes in: plain frozen dataclasses, so callers can log, compare
and serialise them without knowing anything about the model behind them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

INTENTS: tuple[str, ...] = (
    "repair",
    "dispute",
    "elder_help",
    "emergency",
    "opinion",
    "query",
    "other",
)


@dataclass(frozen=True)
class Courtyard:
    """One courtyard (楼院) of the org tree, passed in as data: nlp knows no YAML or database."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Slots:
    """What a message says about where and who. Numbers are arabic digits as strings."""

    courtyard: str | None = None  # the courtyard CODE matched
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    phone: str | None = None
    case_number: str | None = None  # YYMMDD-NNNN
    urgent: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Analysis:
    """One message understood: the intent, how sure we are (0..1) and the slots."""

    intent: str
    confidence: float
    slots: Slots = field(default_factory=Slots)
    # The safety rule that read danger in the words ("fire", "violence" …; "" for none): an
    # emergency with no rule is the model's reading alone. Shown by `python -m nlp classify`.
    rule: str = ""

    def as_dict(self) -> dict:
        return {
            "intent": self.intent,
            "confidence": round(float(self.confidence), 4),
            "slots": self.slots.as_dict(),
            "rule": self.rule,
        }
