"""A private jieba tokenizer with the community dictionary and the courtyard names.

Private (`jieba.Tokenizer()`, not the module-level one) so that two Analyzers with different
org trees, or other code using jieba, never see each other's words. jieba builds its prefix
dictionary on first use and caches it with `marshal`; the cache lives in a per-user directory
we name (not the shared /tmp default), keyed by jieba's version, so loading stays well under
a second once the cache exists and about one second when it does not."""

from __future__ import annotations

import logging
import os
import re
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

with warnings.catch_warnings():
    # jieba 0.42 imports pkg_resources (deprecated) and has regexes with invalid escapes
    # (SyntaxWarning on Python 3.12+ when compiled); neither is ours to fix.
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", SyntaxWarning)
    warnings.simplefilter("ignore", UserWarning)
    import jieba

DEFAULT_USERDICT = Path(__file__).resolve().parent.parent / "config" / "userdict.txt"
_LINE_RE = re.compile(r"^(\S+)(?:\s+(\S+))?(?:\s+(\S+))?$")


class UserDictError(ValueError):
    """The user dictionary has lines jieba would misread; the message lists every one."""


@dataclass(frozen=True)
class DictEntry:
    word: str
    freq: int | None = None
    tag: str | None = None


def read_userdict(path: Path) -> list[DictEntry]:
    """The entries of a jieba user dictionary (`word [freq] [tag]`, `#` comments), checked.

    Raises UserDictError naming the file, the line and what is wrong, for all bad lines."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise UserDictError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    entries, problems = [], []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE_RE.match(line)
        if match is None:
            problems.append(f"{path}:{number}: {line!r}: expected 'word [frequency] [tag]'")
            continue
        word, freq, tag = match.groups()
        if freq is not None and not freq.isdigit():
            if tag is None and freq.isalpha() and freq.isascii():
                freq, tag = None, freq  # `word tag` is allowed by jieba too
            else:
                problems.append(f"{path}:{number}: {word}: frequency {freq!r} is not a number")
                continue
        entries.append(DictEntry(word, int(freq) if freq else None, tag))
    if problems:
        raise UserDictError("\n".join(problems))
    return entries


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/gridbot (or ~/.cache/gridbot), else the system temp dir if unwritable."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "gridbot"
    try:
        path.mkdir(parents=True, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    return Path(tempfile.gettempdir())


def load_tokenizer(
    userdict: Path | None = None,
    extra_words: Iterable[str] = (),
    cache_dir: Path | None = None,
) -> jieba.Tokenizer:
    """A ready tokenizer: jieba's dictionary, then `userdict`, then `extra_words` (courtyard
    names), each added so that it is cut as one word."""
    entries = read_userdict(userdict or DEFAULT_USERDICT)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(cache_dir or default_cache_dir())
    tokenizer.cache_file = f"jieba-{jieba.__version__}.cache"
    level = jieba.default_logger.level
    jieba.default_logger.setLevel(logging.WARNING)  # its "Building prefix dict" chatter
    try:
        tokenizer.initialize()
    finally:
        jieba.default_logger.setLevel(level)
    for entry in entries:
        tokenizer.add_word(entry.word, entry.freq, entry.tag)
    for word in extra_words:
        if word and not word.isspace():
            tokenizer.add_word(word)
    return tokenizer
