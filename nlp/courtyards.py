"""Finding a courtyard (楼院) in a message by its name, an alias, a usual variant of either
(铝厂院 for 铝厂小区, 桐柏路191院 for 桐柏路191号院), or a small typo of one (铝场小区).

Typos are forgiven only where it is safe: forms of four characters or more with a distinctive
character kept, one edit (two from seven characters), and the digits exactly the same, because
桐柏路192号院 is another courtyard, not a typo."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from nlp.schema import Courtyard
from nlp.text import normalize

_SUFFIXES = ("家属院", "家属区", "小区", "大院", "院")
_GENERIC = set("小区号院家属大路街巷社")
_DIGITS_RE = re.compile(r"\d+")


@dataclass(frozen=True)
class CourtyardMatch:
    code: str
    start: int  # offsets in the text given to `find`
    end: int
    exact: bool


def surface_forms(courtyard: Courtyard) -> list[str]:
    """The courtyard's name and aliases, each with the variants residents use for it."""
    forms: list[str] = []
    for label in _labels(courtyard):
        if not label:
            continue
        forms.append(label)
        stem = next((label[: -len(s)] for s in _SUFFIXES if label.endswith(s)), None)
        if label.endswith("号院"):
            if _has_cjk(label[:-2]):  # a street address: 桐柏路191院, 桐柏路191号
                forms += [label[:-2] + "院", label[:-2] + "号"]
        elif stem and len(stem) >= 2 and not stem[-1].isdigit():
            forms += [stem + s for s in _SUFFIXES]  # 铝厂小区 -> 铝厂院, 铝厂家属院 ...
    return list(dict.fromkeys(forms))


def _labels(courtyard: Courtyard) -> list[str]:
    """Name and aliases spelt as messages are once normalized (五十号院 -> 50号院)."""
    return [normalize(label) for label in (courtyard.name, *courtyard.aliases)]


class CourtyardMatcher:
    """Finds known courtyards in text; built once per Analyzer from the org's courtyards."""

    def __init__(self, courtyards: Iterable[Courtyard]) -> None:
        named: dict[str, set[str]] = {}  # the operator's names and aliases
        variants: dict[str, set[str]] = {}  # the ones we made up
        for courtyard in courtyards:
            labels = set(_labels(courtyard))
            for form in surface_forms(courtyard):
                (named if form in labels else variants).setdefault(form, set()).add(courtyard.code)
        # A form two courtyards share names neither: drop it rather than guess. A name the
        # operator gave beats a variant we made up.
        self.forms = {form: codes.pop() for form, codes in variants.items() if len(codes) == 1}
        for form, codes in named.items():
            if len(codes) == 1:
                self.forms[form] = codes.pop()
            else:
                self.forms.pop(form, None)
        ordered = sorted(self.forms, key=len, reverse=True)
        self._exact = re.compile("|".join(_bounded(form) for form in ordered)) if ordered else None
        # Typos are looked for around the distinctive characters of a form (铝, 厂 of 铝厂小区),
        # never around the generic ones every courtyard shares (小区, 号院): that keeps the
        # search cheap, and a form with nothing distinctive (191号院) is matched exactly only.
        self._anchors: dict[str, list[_Anchor]] = {}
        for form in ordered:
            if len(form) < 4:
                continue
            for i, ch in enumerate(form):
                if _is_cjk(ch) and ch not in _GENERIC:
                    self._anchors.setdefault(ch, []).append(_Anchor.of(form, i))
        self._anchor_chars = frozenset(self._anchors)

    def words(self) -> list[str]:
        """Every surface form, for the tokenizer's dictionary."""
        return list(self.forms)

    def find_all(self, text: str) -> list[CourtyardMatch]:
        """Non-overlapping mentions in text order: exact ones, then typos in the gaps."""
        if self._exact is None:
            return []
        found = [
            CourtyardMatch(self.forms[m.group(0)], m.start(), m.end(), True)
            for m in self._exact.finditer(text)
        ]
        found += self._find_typos(text, found)
        return sorted(found, key=lambda m: m.start)

    def find(self, text: str) -> CourtyardMatch | None:
        """The first exact mention, else the first typo'd one."""
        return first_mention(self.find_all(text))

    def _find_typos(self, text: str, taken: list[CourtyardMatch]) -> list[CourtyardMatch]:
        """Typo'd mentions outside the exact ones: the closest first, then left to right."""
        if self._anchor_chars.isdisjoint(text):  # most messages name no courtyard at all
            return []
        best = self._closest_windows(text, [(m.start, m.end) for m in taken])
        matches: list[CourtyardMatch] = []
        for start in sorted(best, key=lambda s: (best[s][0], s)):
            _, end, form = best[start]
            if all(end <= m.start or start >= m.end for m in matches):
                matches.append(CourtyardMatch(self.forms[form], start, end, False))
        return matches

    def _closest_windows(
        self, text: str, busy: list[tuple[int, int]]
    ) -> dict[int, tuple[int, int, str]]:
        """start -> (distance, end, form) of the closest typo of a form starting there, among
        the windows around distinctive characters that stay clear of the `busy` spans."""
        runs = set(_DIGITS_RE.findall(text))
        best: dict[int, tuple[int, int, str]] = {}
        tried: set[tuple[int, int, str]] = set()
        for j, ch in enumerate(text):
            for anchor in self._anchors.get(ch, ()):
                # A window keeps the form's digits as whole runs of the text (no window may cut
                # a number), so a form whose numbers the text lacks cannot match anywhere.
                if not runs.issuperset(anchor.digits) or anchor.always_overlaps(j, busy):
                    continue
                for offset, length in anchor.windows:
                    start, end = j + offset, j + offset + length
                    if start < 0 or end > len(text):
                        continue
                    if any(start < e and s < end for s, e in busy):
                        continue
                    key = (start, length, anchor.form)
                    if key in tried:
                        continue
                    tried.add(key)
                    distance = _typo_distance(text, start, end, anchor, bool(runs))
                    if distance <= anchor.limit and (
                        start not in best or distance < best[start][0]
                    ):
                        best[start] = (distance, end, anchor.form)
        return best


@dataclass(frozen=True)
class _Anchor:
    """A distinctive character of a form, with what the typo search needs of that form
    computed once rather than for every window of every message."""

    form: str
    limit: int  # edits forgiven: one, two from seven characters
    digits: tuple[str, ...]  # the form's runs of digits, which a typo must keep exactly
    chars: frozenset[str]
    # (start relative to the anchor's position in the text, length) of every window to try,
    # in the order the search tries them: on a tie the first one tried wins.
    windows: tuple[tuple[int, int], ...]
    last_start: int  # of all windows, relative to the anchor's position
    first_end: int

    @classmethod
    def of(cls, form: str, index: int) -> _Anchor:
        limit = 2 if len(form) >= 7 else 1
        windows = tuple(
            (offset, length)
            for offset in range(-index - limit, -index + limit + 1)
            for length in range(len(form) - limit, len(form) + limit + 1)
        )
        return cls(
            form=form,
            limit=limit,
            digits=tuple(_DIGITS_RE.findall(form)),
            chars=frozenset(form),
            windows=windows,
            last_start=max(offset for offset, _ in windows),
            first_end=min(offset + length for offset, length in windows),
        )

    def always_overlaps(self, position: int, busy: list[tuple[int, int]]) -> bool:
        """Whether every window around this anchor at `position` overlaps one busy span: the
        usual case of an anchor inside a name already matched exactly, then none is tried."""
        last_start, first_end = position + self.last_start, position + self.first_end
        for s, e in busy:  # a loop, not any(): busy is short and this runs for every anchor
            if last_start < e and s < first_end:
                return True
        return False


def _typo_distance(text: str, start: int, end: int, anchor: _Anchor, has_digits: bool) -> int:
    """The edit distance of text[start:end] to the anchor's form, or anything above the
    anchor's limit when the window cannot be a typo of it (other digits, a cut number)."""
    too_far = anchor.limit + 1
    window = text[start:end]
    if has_digits and _DIGITS_RE.findall(window) != list(anchor.digits):
        return too_far
    if _cuts_number(text, start, end):
        return too_far
    # Each edit fixes at most one character, so a window needs all but `limit` of its
    # characters from the form: a cheap bound that spares most Levenshtein tables.
    foreign = sum(ch not in anchor.chars for ch in window)
    if foreign > anchor.limit:
        return too_far
    return _edit_distance(window, anchor.form, anchor.limit)


def first_mention(found: list[CourtyardMatch]) -> CourtyardMatch | None:
    """The first exact mention in `found`, else the first typo'd one."""
    exact = [m for m in found if m.exact]
    return (exact or found)[0] if found else None


def _bounded(form: str) -> str:
    """The form as a regex that will not match inside a longer number (24号院 in 124号院)."""
    pattern = re.escape(form)
    if form[0].isdigit():
        pattern = r"(?<!\d)" + pattern
    if form[-1].isdigit():
        pattern += r"(?!\d)"
    return pattern


def _cuts_number(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] begins or ends in the middle of a run of digits."""
    return (start > 0 and text[start - 1].isdigit() and text[start].isdigit()) or (
        end < len(text) and text[end].isdigit() and text[end - 1].isdigit()
    )


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _has_cjk(text: str) -> bool:
    return any(map(_is_cjk, text))


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, cut short (limit + 1) once it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]
