"""nlp: a resident's message in, an intent, a confidence and slots out.

Knows no Flask and no database; the org's courtyards come in as data. See Analyzer."""

from nlp.analyzer import Analyzer
from nlp.schema import INTENTS, Analysis, Courtyard, Slots
from nlp.topics import TOPICS, opinion_topic

__all__ = ["INTENTS", "TOPICS", "Analysis", "Analyzer", "Courtyard", "Slots", "opinion_topic"]
