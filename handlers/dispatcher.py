"""Which conversation answers a turn, in one place.

Order: events; `取消`; a cancel word with more words while a question waits (the step's
"leave" handler); staff commands from staff; resident commands (绑定 …);
within a pending dialogue step, a rating of a resolved case (the step's question asked again
after it, by its "remind" handler), an emergency, then a new message of its own (the step's
"leave" handler), then the step's answer; a rating reply; photos, voice and locations; then the
intent model. The apology when a handler raises lives here, not in every handler."""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any, Protocol

import redis
from sqlalchemy.orm import Session

from cases.clock import utcnow
from cases.context import Domain
from cases.queries import get_or_create_resident, newest_resolved_case, note_message
from config.settings import Settings
from config.wording import Wording
from handlers import registry
from handlers.dialogue import Dialogue
from handlers.reporting import CANCEL_WORDS, REPORT_INTENTS
from handlers.turn import Context, Reply, Turn

log = logging.getLogger(__name__)
COMMAND_RE = re.compile(r"^\s*(\S+?)(?:\s+|$)")
BARE_NUMBER_RE = re.compile(r"^(?:工单号?)?\s*\d{6}-\d{4}\s*$")
NEW_MESSAGE_INTENTS = frozenset({*REPORT_INTENTS, "opinion", "query"})
NEW_MESSAGE_CONFIDENCE = 0.8


class HandlerServices(Protocol):
    settings: Settings
    domain: Domain
    wording: Wording
    redis: redis.Redis

    @property
    def analyzer(self) -> Any: ...


def respond(services: HandlerServices, session: Session, turn: Turn, dialogue: Dialogue) -> Reply:
    """The reply to `turn`; its changes are in `session`, which the caller commits, and in
    `dialogue` (the sender's), which the caller writes after the commit. A handler that
    raises is answered with an apology, its half-made changes rolled back (the session then
    holds only the resident's contact)."""
    registry.load()
    now = turn.at or utcnow()
    wrote = turn.kind != "event"  # a message, not a menu view: WeChat's 48-hour window opens
    ctx = Context(
        session=session,
        org=services.domain.org,
        policy=services.domain.policy,
        wording=services.wording,
        analyzer=services.analyzer,
        dialogue=dialogue,
        resident=get_or_create_resident(session, turn.openid, now, wrote=wrote),
        now=now,
    )
    handler = choose(ctx, turn)
    try:
        reply = handler(ctx, turn)
    except Exception:
        log.exception("handler %s failed on a %s from %s", handler.__name__, turn.kind, turn.openid)
        session.rollback()
        ctx.dialogue.discard()
        ctx.resident = get_or_create_resident(session, turn.openid, now, wrote=wrote)
        reply = Reply(ctx.say("webhook.sorry"))
    if wrote:
        note_message(session, ctx.resident, now)
    return reply


def choose(ctx: Context, turn: Turn) -> registry.Handler:
    text = turn.text.strip()
    if turn.kind == "event":
        return registry.route("event", turn.event) or _route("builtin", "quiet_event")
    if turn.kind == "unknown":
        return _route("builtin", "unsupported")
    if text in CANCEL_WORDS:
        return _route("command", "取消")
    word = _first_word(text)
    step = ctx.dialogue.step
    leave = registry.route("leave", step) if step else None
    if word in CANCEL_WORDS and turn.kind in ("text", "voice") and leave is not None:
        # "取消 我要投诉楼上噪音": the question is given up for the rest, which is not lost.
        return leave
    if word and ctx.org.is_staff(turn.openid):
        staff = registry.route("staff", word)
        if staff is not None:
            return staff
    if word:
        command = registry.route("command", word)
        if command is not None and not (step and word == "评价"):
            return command
    if step and text and (word == "评价" or _rates_a_case(ctx, text)):
        return _route("builtin", "rate_aside")  # the question waits; asked again after
    if step and text:
        # Words are read for an emergency, never lost inside another dialogue; a location's
        # label ("…火车站") is an answer to the step, not a cry for help. The emergency
        # waiting for its address takes cries for help itself (its address, "快来人"). A
        # report, question or opinion of its own is no answer either: the step's "leave"
        # handler decides what becomes of the question.
        if turn.kind in ("text", "voice"):
            ctx.analysis = ctx.analyzer.analyze(text)
            if ctx.analysis.intent == "emergency" and step != "emergency_address":
                return _route("intent", "emergency")
            if leave is not None and reads_as_new_message(ctx.analysis):
                return leave
        handler = registry.route("step", step)
        if handler is not None:
            return handler
    rating = registry.route("command", "评价")
    if text and rating is not None and _looks_like_rating(text):
        return rating
    if BARE_NUMBER_RE.match(text):
        return _route("intent", "query")
    if turn.kind in ("image", "video", "shortvideo", "location") or (
        turn.kind == "voice" and not text
    ):
        return _route("media", turn.kind)
    if turn.kind == "link":
        return _route("builtin", "link")
    return _route("builtin", "classify")


def reads_as_new_message(analysis: Any) -> bool:
    """A message the model is sure is a report, a question or an opinion of its own. Address
    fragments and places said in words ("3号楼", "铝厂小区东门", "就在我家楼下") read as `other`
    (nlp.slots.names_only_a_place)."""
    return analysis.intent in NEW_MESSAGE_INTENTS and analysis.confidence >= NEW_MESSAGE_CONFIDENCE


def _first_word(text: str) -> str:
    match = COMMAND_RE.match(text)
    return match.group(1) if match else ""


RATING_RE = re.compile(
    r"^(?:[1-5一二三四五]\s*(?:分|星)?|非常满意|满意|基本满意|不满意|很不满意)[。！!]?$"
)
SCORE_ONLY_RE = re.compile(r"^\s*[1-5一二三四五]\s*[。！!]?\s*$")


def _looks_like_rating(text: str) -> bool:
    return bool(RATING_RE.match(unicodedata.normalize("NFKC", text)))  # full-width ５ too


def _rates_a_case(ctx: Context, text: str) -> bool:
    """Whether a message sent while a question waits is a rating, not an answer: it reads as
    one ("5分", "满意") and the resident has a case waiting for its rating. A bare number ("3",
    "三") stays the question's: it may be meant as the building asked for."""
    plain = unicodedata.normalize("NFKC", text)  # full-width ５ too
    return (
        RATING_RE.match(plain) is not None
        and SCORE_ONLY_RE.match(plain) is None
        and newest_resolved_case(ctx.session, ctx.resident) is not None
    )


def _route(kind: str, name: str) -> registry.Handler:
    handler = registry.route(kind, name)
    if handler is None:
        raise LookupError(f"no handler registered for {kind} {name}")
    return handler
