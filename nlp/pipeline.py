"""The steps from raw text to model features, shared by the Analyzer and by training so the
two always read a message the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from nlp.courtyards import CourtyardMatcher
from nlp.features import FeatureSpec, extract
from nlp.slots import Found, find_slots
from nlp.text import CASE_MARK, COURTYARD_MARK, PHONE_MARK, canonical, mask, normalize

_MARK_OF = {"courtyard": COURTYARD_MARK, "case": CASE_MARK, "phone": PHONE_MARK}


def prepare(text: str, matcher: CourtyardMatcher) -> tuple[Found, str]:
    """The slots of `text` and its canonical form with courtyards, case numbers and phone
    numbers masked: the model should learn that a courtyard was named, not which one."""
    normalized = normalize(text)
    found = find_slots(normalized, matcher)
    masked = mask(normalized, [(s, e, _MARK_OF[kind]) for s, e, kind in found.spans])
    return found, canonical(masked)


def featurize(
    text: str,
    matcher: CourtyardMatcher,
    spec: FeatureSpec,
    cut: Callable[[str], Iterable[str]] | None,
) -> list[str]:
    """The model's features for raw `text`."""
    return extract(prepare(text, matcher)[1], spec, cut)
