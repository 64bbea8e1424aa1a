"""Opening a case from a report: find the place, ask for what is missing, open at once when
the first message says where. Shared by repair, dispute, elder_help and emergency.

A report of its own that arrives while a question waits for its answer is never swallowed:
it is filed at once when it says where, else it waits in the dialogue's `queued` list and is
asked about as soon as the question is answered (`aside`, `next_question`)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from cases import lifecycle
from cases.clock import local_text
from cases.followups import Followup
from cases.models import Attachment, Case
from cases.queries import CaseLine
from handlers.fallback import classify
from handlers.places import Place, describe, place_of_resident, place_of_slots
from handlers.registry import handles, route
from handlers.turn import Context, Location, Reply, Turn

ASK_LIMIT = 3  # after this many answers without an address, say how to write one
PENDING_LIMIT = 9  # photos kept for a report not yet made
QUEUE_LIMIT = 3  # reports waiting for their turn to be asked where
REPORT_INTENTS = ("repair", "dispute", "elder_help")
CANCEL_WORDS = ("取消", "算了", "退出")  # alone: end the question asked now
# A report without its address, with the photos kept for it.
WAITING_FIELDS = ("intent", "text", "place", "phone", "urgent", "pending_media")
# "另外5号楼电梯也坏了": a second problem, not more words about the one being asked about.
ANOTHER_WORDS = ("另外", "还有", "此外", "再有", "顺便")
ANOTHER_RE = re.compile("|".join((*ANOTHER_WORDS, "也")))
# "算了 我要投诉楼上噪音": the report being asked about is given up for the new one.
GIVE_UP_RE = re.compile(rf"^\s*(?:{'|'.join((*CANCEL_WORDS, '不用了', '不报了', '不说了'))})")


def place_for(ctx: Context, slots: Any) -> Place:
    """The message's own place, gaps filled from the resident's binding."""
    return place_of_slots(slots).merged(place_of_resident(ctx.resident))


def report(ctx: Context, turn: Turn, intent: str) -> Reply:
    """A repair, dispute or elder-help report: open now, or ask where."""
    slots = ctx.analysis.slots
    place = place_for(ctx, slots)
    if place.complete:
        return open_reported(ctx, turn, intent, turn.text, place, slots)
    state = ctx.dialogue.state or {}
    if len(state.get("queued") or []) > QUEUE_LIMIT:
        # More wait than a question's queue holds (binding given up, or an emergency opened,
        # while a report was asked about: it waits as well). The resident is asked about the
        # waiting ones first (`then_next`, by the caller).
        what = ctx.say(f"intent.{intent}")
        return Reply(ctx.say("report.queue_full", what=what), intent=intent)
    ctx.dialogue.start(
        "ask_address",
        intent=intent,
        text=turn.text,
        place=place.as_dict(),
        tries=0,
        phone=slots.phone,
        urgent=slots.urgent,
        pending_media=state.get("pending_media", []),
        queued=state.get("queued", []),
    )
    return Reply(ctx.say("report.ask_address", what=ctx.say(f"intent.{intent}")), intent=intent)


def answer_address(ctx: Context, turn: Turn) -> Reply:
    """The resident's answer to 'which courtyard and building?'."""
    return _answer(ctx, turn, more_words=False)


def _answer(ctx: Context, turn: Turn, *, more_words: bool) -> Reply:
    """The answer merged into the place asked about; with `more_words` the message also says
    more about the problem ("灯一直不亮", the report said again with its address), and its words
    go with the report."""
    state = ctx.dialogue.state or {}
    slots = slots_of(ctx, turn)
    place = place_of_slots(slots).merged(Place(**state.get("place", {})))
    intent = str(state.get("intent", "repair"))
    text = str(state.get("text", ""))
    if more_words:
        text = turn.text if text in turn.text else f"{text} {turn.text}"
    if place.complete:
        end_question(ctx, keep_media=True)  # the answered report's photos: attached below
        opened = open_reported(
            ctx,
            turn,
            intent,
            text,
            place,
            slots,
            phone=state.get("phone"),
            urgent=bool(state.get("urgent")),
        )
        return then_next(ctx, opened)
    if turn.kind == "location":  # its label did not say where: keep it for the case
        keep_pending(ctx, turn, "location")
    tries = int(state.get("tries", 0)) + 1
    ctx.dialogue.update(place=place.as_dict(), tries=tries, text=text)
    key = "report.ask_address_again" if tries < ASK_LIMIT else "report.ask_address_example"
    return Reply(ctx.say(key, courtyards=courtyard_names(ctx)), intent=intent)


@handles("remind", "ask_address")
def still_asking(ctx: Context, turn: Turn) -> Reply:
    """The question about the report asked about, asked again after a message aside."""
    state = ctx.dialogue.state or {}
    what = ctx.say(f"intent.{state.get('intent', 'repair')}")
    return Reply(ctx.say("report.still_asking", what=what, text=short_text(str(state.get("text")))))


@handles("leave", "ask_address")
def new_message_while_asked(ctx: Context, turn: Turn) -> Reply:
    """A report, a question or an opinion instead of an address. More words about the same
    problem (the same kind, no 另外/还有/也) answer the question. "算了 …" gives the report up
    for the new message. Anything else is handled aside, and the question asked again: a
    resident who has two problems gets both filed."""
    state = ctx.dialogue.state or {}
    if GIVE_UP_RE.match(turn.text):
        return give_up(ctx, turn)
    if ctx.analysis.intent == state.get("intent") and not ANOTHER_RE.search(turn.text):
        return _answer(ctx, turn, more_words=True)
    again = still_asking(ctx, turn).text  # about the report asked about, before aside's turn
    reply = aside(ctx, turn)
    return replace(reply, text=f"{reply.text}\n{again}")


def give_up(ctx: Context, turn: Turn) -> Reply:
    """The question asked now is given up (said so) for `turn`, handled as a new message
    without its 算了 / 取消."""
    return prefixed(drop_question(ctx), aside(ctx, without_give_up(ctx, turn)))


def held_case(ctx: Context) -> Case | None:
    """The case the dialogue holds (the emergency asking where), while it is still active."""
    case = ctx.session.get(Case, int((ctx.dialogue.state or {}).get("case_id", 0)))
    return case if case is not None and case.status in lifecycle.ACTIVE else None


def slots_of(ctx: Context, turn: Turn) -> Any:
    """The turn's slots: the dispatcher's reading of it when there is one, else read now."""
    if ctx.analysis is not None:
        return ctx.analysis.slots
    return ctx.analyzer.extract_slots(turn.text)


def without_give_up(ctx: Context, turn: Turn) -> Turn:
    """`turn` without its leading 算了 / 取消: the new report's text is what staff read, and
    "取消 楼上噪音" there would read as a cancelled case. It is read again without them."""
    rest = GIVE_UP_RE.sub("", turn.text, count=1).lstrip(" ，,。:：")
    if rest == turn.text or not rest:
        return turn
    ctx.analysis = None
    return replace(turn, text=rest)


def aside(ctx: Context, turn: Turn) -> Reply:
    """`turn` handled as a message of its own. While a question waits for its answer, it
    stays asked: a report that says where is filed now, one that needs its own address waits
    in `queued` (the photos kept for the question stay with it), a query or an opinion is
    answered. With no question waiting the message starts its own, or the next waiting
    report is asked about."""
    held = dict(ctx.dialogue.state or {})
    step = held.pop("step", None)
    if step is None:
        return then_next(ctx, classify(ctx, turn))
    ctx.dialogue.clear()
    reply = classify(ctx, turn)
    own = ctx.dialogue.state or {}
    queued = list(held.pop("queued", None) or [])
    if own.get("step") == "ask_address":
        what = ctx.say(f"intent.{own['intent']}")
        if len(queued) >= QUEUE_LIMIT:
            reply = Reply(ctx.say("report.queue_full", what=what), intent=reply.intent)
        else:
            queued.append({field: own.get(field) for field in WAITING_FIELDS})
            text = ctx.say("report.queued", what=what, text=short_text(str(own["text"])))
            reply = Reply(text, intent=reply.intent)
    ctx.dialogue.start(str(step), **held, queued=queued)
    return reply


def drop_question(ctx: Context) -> str:
    """The question asked now is dropped, and with it the report asked about; the reports
    waiting their turn stay (the bot said 已记下), for `then_next` to ask about. Returns the
    line that says what was dropped."""
    state = end_question(ctx)
    if state.get("step") == "bind":  # binding is optional: given up, nothing bound
        return ctx.say("binding.given_up")
    if state.get("step") != "ask_address":
        return ctx.say("dialogue.cancelled")
    what = ctx.say(f"intent.{state.get('intent', 'repair')}")
    return ctx.say("report.given_up", what=what, text=short_text(str(state.get("text", ""))))


def end_question(
    ctx: Context, queued: list[dict[str, Any]] | None = None, *, keep_media: bool = False
) -> dict[str, Any]:
    """End the question asked now and return the dialogue as it was. What waits stays: the
    reports queued (`queued` when given: `waiting_reports` read before), and the photos kept
    for the next report. The photos of a report asked about go with it (into `queued` by
    `waiting_reports`, or dropped with it), unless `keep_media`: the answered report's, for
    `open_reported` to attach."""
    state = ctx.dialogue.state or {}
    ctx.dialogue.clear()
    kept: dict[str, Any] = {"queued": state.get("queued") if queued is None else queued}
    if keep_media or state.get("step") != "ask_address":
        kept["pending_media"] = state.get("pending_media")
    kept = {name: value for name, value in kept.items() if value}
    if kept:
        ctx.dialogue.update(**kept)
    return state


def ask_again(ctx: Context, turn: Turn) -> str:
    """The question waiting now, asked again after a message answered aside (its "remind"
    route); its 30 minutes start again."""
    ctx.dialogue.update()
    remind = route("remind", str(ctx.dialogue.step))
    return remind(ctx, turn).text if remind is not None else ""


def waiting_reports(ctx: Context) -> list[dict[str, Any]]:
    """The reports still without an address: the one being asked about, then the queue; for
    a question (the emergency's) that takes the place of that one."""
    state = ctx.dialogue.state or {}
    asked = state.get("step") == "ask_address"
    first = [{field: state.get(field) for field in WAITING_FIELDS}] if asked else []
    return first + list(state.get("queued") or [])


def next_question(ctx: Context) -> str | None:
    """With no question left, ask where the next waiting report is (None: none waits)."""
    state = ctx.dialogue.state or {}
    queued = list(state.get("queued") or [])
    if state.get("step") or not queued:
        return None
    first = dict(queued[0])
    # The photos sent for it while it was asked about come back with it.
    media = list(first.pop("pending_media", None) or []) + list(state.get("pending_media") or [])
    ctx.dialogue.start("ask_address", **first, tries=0, pending_media=media, queued=queued[1:])
    what = ctx.say(f"intent.{first['intent']}")
    return ctx.say("report.ask_next", what=what, text=short_text(str(first["text"])))


def then_next(ctx: Context, reply: Reply) -> Reply:
    """`reply`, followed by the question about the next waiting report, if any."""
    question = next_question(ctx)
    return replace(reply, text=f"{reply.text}\n{question}") if question else reply


def file_waiting(ctx: Context, turn: Turn, waiting: list[dict[str, Any]], reply: Reply) -> Reply:
    """`reply`, then the reports that waited for their address filed where the resident now
    lives (a bound resident's report without an address is filed there, and these are such
    reports), each with its photos. One whose own courtyard differs from the binding keeps
    waiting and is asked about. The dialogue must have no question open."""
    home = place_of_resident(ctx.resident)
    # A voice note or a location that answered where home is stays with no report.
    said = replace(turn, kind="text", media_id=None, location=None)
    still: list[dict[str, Any]] = []
    for report in waiting:
        place = Place(**(report.get("place") or {})).merged(home)
        if not place.complete:
            still.append(report)
            continue
        ctx.dialogue.update(pending_media=report.get("pending_media") or [])
        opened = open_reported(
            ctx,
            said,
            str(report.get("intent", "repair")),
            str(report.get("text", "")),
            place,
            None,
            phone=report.get("phone"),
            urgent=bool(report.get("urgent")),
        )
        reply = Reply(
            f"{reply.text}\n{opened.text}",
            intent=reply.intent or opened.intent,
            case_id=reply.case_id or opened.case_id,
            followups=reply.followups + opened.followups,
        )
    ctx.dialogue.update(queued=still)
    return then_next(ctx, reply)


def prefixed(line: str, reply: Reply) -> Reply:
    """`reply` after `line`: what became of the question comes before the new message's answer."""
    return replace(reply, text=f"{line}\n{reply.text}")


def short_text(text: str, limit: int = 20) -> str:
    """A resident's words quoted back on one line, cut at `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def open_reported(
    ctx: Context,
    turn: Turn,
    intent: str,
    text: str,
    place: Place,
    slots: Any,
    *,
    phone: str | None = None,
    urgent: bool = False,
) -> Reply:
    case = lifecycle.open_case(
        ctx.session,
        ctx.policy,
        ctx.resident,
        lifecycle.NewCase(
            intent=intent,
            text=text,
            address=place.address(ctx.org),
            building=place.building,
            unit=place.unit,
            room=place.room,
            phone=getattr(slots, "phone", None) or phone or ctx.resident.phone,
            urgent=bool(getattr(slots, "urgent", False) or urgent),
        ),
        now=ctx.now,
    )
    followups = [Followup.dispatch(case.id, case.stage)]
    followups += attach_pending(ctx, case)
    followups += attach_turn_media(ctx, turn, case)
    return Reply(opened_text(ctx, case, place), intent=intent, case_id=case.id, followups=followups)


def opened_text(ctx: Context, case: Case, place: Place) -> str:
    return ctx.say(
        "report.opened",
        what=ctx.say(f"intent.{case.intent}"),
        place=describe(ctx.org, place),
        number=case.number,
        holder=holder_of(ctx, case),
        deadline=local_text(case.due_at),
    )


def holder_of(ctx: Context, case: CaseLine) -> str:
    """'铝厂一网格 网格员' : the unit and the role that hold the case now."""
    code = getattr(case, case.level, None)
    unit = ctx.org.unit(case.level, code).name if code else ""
    return f"{unit} {ctx.say(f'level.{case.level}')}".strip()


def attach(
    ctx: Context,
    case: Case,
    kind: str,
    *,
    media_id: str | None = None,
    url: str | None = None,
    location: Any = None,
    recognition: str | None = None,
) -> list[Followup]:
    """Add one attachment with its timeline event; media is fetched by a job."""
    attachment = Attachment(
        case=case,
        kind=kind,
        media_id=media_id,
        url=url,
        recognition=recognition,
        latitude=getattr(location, "latitude", None),
        longitude=getattr(location, "longitude", None),
        label=getattr(location, "label", None) or None,
        created_at=ctx.now,
    )
    ctx.session.add(attachment)
    if location is not None and case.latitude is None:
        case.latitude, case.longitude = location.latitude, location.longitude
        case.location_label = location.label or None
    lifecycle.record(
        ctx.session, case, "attach", ctx.resident.openid, ctx.say(f"attachment.{kind}"), now=ctx.now
    )
    ctx.session.flush()
    return [Followup.fetch(attachment.id)] if media_id else []


def attach_turn_media(ctx: Context, turn: Turn, case: Case) -> list[Followup]:
    """A voice note whose recognition opened the case goes with it; so does a location shared
    in answer to "where?" (its label named the place, its coordinates are kept)."""
    if turn.kind == "voice" and turn.media_id:
        return attach(ctx, case, "voice", media_id=turn.media_id, recognition=turn.text)
    if turn.kind == "location" and turn.location is not None:
        return attach(ctx, case, "location", location=turn.location)
    return []


def keep_pending(ctx: Context, turn: Turn, kind: str) -> None:
    """Keep a photo, voice note, video or location in the dialogue for the report it belongs
    to (at most PENDING_LIMIT, the newest): the report asked about, or the report it comes
    before. While binding with reports waiting, the first of them: kept inside it, so that
    whatever comes meanwhile (an emergency, binding given up for a new report) cannot take
    it."""
    state = ctx.dialogue.state or {}
    item: dict[str, Any] = {"kind": kind, "media_id": turn.media_id, "url": turn.picture_url}
    if turn.location is not None:
        item["location"] = [turn.location.latitude, turn.location.longitude, turn.location.label]
    queued = list(state.get("queued") or [])
    if state.get("step") == "bind" and queued:
        first = queued[0]
        kept = [*(first.get("pending_media") or [])[-PENDING_LIMIT + 1 :], item]
        ctx.dialogue.update(queued=[{**first, "pending_media": kept}, *queued[1:]])
        return
    pending = list(state.get("pending_media", []))[-PENDING_LIMIT + 1 :]
    ctx.dialogue.update(pending_media=[*pending, item])


def attach_pending(ctx: Context, case: Case) -> list[Followup]:
    """Photos sent before the words: kept in the dialogue, attached to the case now. Not
    while a report is asked about: they are that report's, and an emergency opened meanwhile
    leaves them with it (`waiting_reports` queues them together)."""
    state = ctx.dialogue.state or {}
    pending = state.get("pending_media") or []
    if not pending or state.get("step") == "ask_address":
        return []
    followups: list[Followup] = []
    for item in pending:
        where = item.get("location")
        followups += attach(
            ctx,
            case,
            item["kind"],
            media_id=item.get("media_id"),
            url=item.get("url"),
            location=Location(*where) if where else None,
        )
    ctx.dialogue.update(pending_media=[])
    return followups


def courtyard_names(ctx: Context) -> str:
    """The first courtyards served, named in a question about where."""
    return "、".join(unit.name for unit in ctx.org.courtyards[:6])


@handles("intent", *REPORT_INTENTS)
def report_problem(ctx: Context, turn: Turn) -> Reply:
    """Repair, dispute and elder help differ only in policy (who starts, how fast), which
    lives in config/escalation.yaml; the conversation is the same."""
    return report(ctx, turn, ctx.analysis.intent)


handles("step", "ask_address")(answer_address)
