"""How words sent in the middle of a dialogue are read: an answer to the question asked, a
message of its own, or a cry for help. The model is tuned for fresh messages, where anything
that may be an emergency is one; an answer is short and easily misread, so here the bot asks
for more before it leaves the question."""

from __future__ import annotations

from handlers.reporting import REPORT_INTENTS
from nlp import Analysis

NEW_MESSAGE_INTENTS = frozenset({*REPORT_INTENTS, "opinion", "query"})
NEW_MESSAGE_CONFIDENCE = 0.8


def cries_out(analysis: Analysis) -> bool:
    """An emergency in the middle of a dialogue: danger in the words (a safety rule), or a
    model at least NEW_MESSAGE_CONFIDENCE sure. The model's weaker readings are for fresh
    messages (anything that may be an emergency is one): here, answers such as 我刚才说了啊
    (0.45) or 我不记得了 (0.31) would open an emergency case. None of dev's emergencies is
    read only that weakly."""
    return analysis.intent == "emergency" and (
        bool(analysis.rule) or analysis.confidence >= NEW_MESSAGE_CONFIDENCE
    )


def reads_as_new_message(analysis: Analysis) -> bool:
    """A message the model is sure is a report, a question or an opinion of its own. Address
    fragments read as `other` ("3号楼", "501", "铝厂小区": above 0.9), and the few that lean
    to a report stay well under the bar ("3号楼楼道" 0.68, "铝厂小区东门" 0.53)."""
    return analysis.intent in NEW_MESSAGE_INTENTS and analysis.confidence >= NEW_MESSAGE_CONFIDENCE
