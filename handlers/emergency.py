"""The one-key call: an emergency case opened at once, with safety advice and the number to
call, even before we know where (the binding, else we ask while the case is already open)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from cases import lifecycle
from cases.followups import Followup
from cases.models import Case
from cases.queries import newest_active_case
from handlers.places import Place, describe, place_of_resident, place_of_slots
from handlers.registry import handles
from handlers.reporting import (
    ANOTHER_WORDS,
    GIVE_UP_RE,
    aside,
    attach_pending,
    attach_turn_media,
    end_question,
    give_up,
    held_case,
    holder_of,
    next_question,
    place_for,
    slots_of,
    then_next,
    waiting_reports,
)
from handlers.turn import Context, Reply, Turn

FIRE = re.compile(r"火(?!车|锅|腿|柴|龙果)|烟|燃气|煤气|天然气|气味|爆炸|电线.*(冒|烧)|119")
# Another matter, while an emergency waits for its address. Not the 也 of reporting.ANOTHER_RE:
# "门锁也坏了进不去" says more about the emergency ("and the door is locked too").
_ANOTHER = re.compile("|".join(ANOTHER_WORDS))
POLICE = re.compile(
    r"打架|打人|打成一团|斗殴|持刀|砍|杀|抢|偷|贼|撬|砸门|家暴|跟踪|死我|陌生人|进人|翻|失踪|走失|"
    r"不见了|找不到|没影|拐|110"
)
JOIN_WINDOW = timedelta(minutes=30)  # a second call within this adds to the first


def advice_key(text: str) -> str:
    """Which number to call: 119 for fire or gas, 110 for violence or a missing person, else 120."""
    if FIRE.search(text):
        return "emergency.advice_fire"
    if POLICE.search(text):
        return "emergency.advice_police"
    return "emergency.advice_medical"


@handles("intent", "emergency")
def emergency(ctx: Context, turn: Turn) -> Reply:
    return open_emergency(ctx, turn, place_for(ctx, ctx.analysis.slots), turn.text)


@handles("menu", "ONE_KEY_CALL")
def one_key_call(ctx: Context, turn: Turn) -> Reply:
    text = ctx.say("emergency.one_key_text")
    return open_emergency(ctx, turn, place_of_resident(ctx.resident), text)


def open_emergency(ctx: Context, turn: Turn, place: Place, text: str) -> Reply:
    """A new emergency case, or, when the resident has one open from the last half hour
    ("救命" and then "快来人啊", the button pressed twice), what they said added to it; not
    when the two name different courtyards (a second emergency elsewhere is a case of its own,
    pushed to that place's staff)."""
    earlier = newest_active_case(ctx.session, ctx.resident, ctx.now - JOIN_WINDOW, "emergency")
    if earlier is not None and not _elsewhere(earlier, place):
        return _add_to(ctx, earlier, turn, place, text)
    slots = ctx.analysis.slots if ctx.analysis is not None else None
    case = lifecycle.open_case(
        ctx.session,
        ctx.policy,
        ctx.resident,
        lifecycle.NewCase(
            intent="emergency",
            text=text,
            address=place.address(ctx.org),
            building=place.building,
            unit=place.unit,
            room=place.room,
            phone=getattr(slots, "phone", None) or ctx.resident.phone,
            urgent=True,
        ),
        now=ctx.now,
    )
    followups = [Followup.dispatch(case.id, case.stage)]
    followups += attach_pending(ctx, case) + attach_turn_media(ctx, turn, case)
    advice = ctx.say(advice_key(text))
    if place.courtyard:
        where = describe(ctx.org, place)
        body = ctx.say(
            "emergency.opened", number=case.number, place=where, holder=holder_of(ctx, case)
        )
    else:
        ctx.dialogue.start("emergency_address", case_id=case.id, queued=waiting_reports(ctx))
        body = ctx.say("emergency.opened_ask_address", number=case.number)
    return Reply(f"{advice}\n{body}", intent="emergency", case_id=case.id, followups=followups)


def _elsewhere(case: Case, place: Place) -> bool:
    return bool(place.courtyard and case.courtyard and place.courtyard != case.courtyard)


def _add_to(ctx: Context, case: Case, turn: Turn, place: Place, text: str) -> Reply:
    advice = ctx.say(advice_key(f"{case.text} {text}"))  # a fire stays a fire
    followups = attach_pending(ctx, case) + attach_turn_media(ctx, turn, case)
    if place.courtyard and not case.courtyard:
        located = _fill_address(ctx, case, place)
        return then_next(
            ctx,
            replace(
                located, text=f"{advice}\n{located.text}", followups=located.followups + followups
            ),
        )
    _note(ctx, case, text)
    key = "emergency.added" if case.courtyard else "emergency.ask_address_again"
    if not case.courtyard:
        ctx.dialogue.start("emergency_address", case_id=case.id, queued=waiting_reports(ctx))
    body = ctx.say(key, number=case.number)
    return Reply(f"{advice}\n{body}", intent="emergency", case_id=case.id, followups=followups)


@handles("step", "emergency_address")
def emergency_address(ctx: Context, turn: Turn) -> Reply:
    """The address of an emergency that is already open: fill it in and dispatch again.
    Whatever else the resident says meanwhile is a note on the case (a question, an opinion
    or a report marked as another matter is not: see `new_message_in_emergency`)."""
    case = held_case(ctx)
    if case is None:
        _leave_question(ctx)
        if _says_emergency(ctx):  # a new emergency after that one: a new case
            return then_next(ctx, emergency(ctx, turn))
        return then_next(ctx, Reply(ctx.say("emergency.closed_already"), intent="emergency"))
    place = place_of_slots(slots_of(ctx, turn))
    if not place.courtyard:
        followups = attach_turn_media(ctx, turn, case)  # a shared location keeps its coordinates
        _note(ctx, case, turn.text)
        reply = ctx.say("emergency.ask_address_again", number=case.number)
        if _says_emergency(ctx):  # "着火了 快来人": the advice again, for what it is now
            reply = f"{ctx.say(advice_key(f'{case.text} {turn.text}'))}\n{reply}"
        return Reply(reply, intent="emergency", case_id=case.id, followups=followups)
    if turn.kind in ("text", "voice"):  # "铝厂小区2号楼 老人有心脏病": the words count too
        _note(ctx, case, turn.text)
    return then_next(ctx, _located(ctx, turn, case, place))


@handles("remind", "emergency_address")
def still_asking_where(ctx: Context, turn: Turn) -> Reply:
    """The emergency's address question, asked again after a message aside. Once the case is
    over the question is too, and the next waiting report is asked about, if any."""
    case = held_case(ctx)
    if case is None:
        _leave_question(ctx)
        return Reply(next_question(ctx) or "")
    return Reply(ctx.say("emergency.still_asking", number=case.number))


@handles("leave", "emergency_address")
def new_message_in_emergency(ctx: Context, turn: Turn) -> Reply:
    """A report, a question or an opinion while the open emergency waits for its address.

    - `取消 …` / `算了 …`: the address question is dropped (the case stays open) and the rest
      handled as a new message.
    - A question, an opinion or a dispute is a matter of its own: answered or filed aside, and
      the address asked again; the place it names is what it is about, not the emergency's.
    - A repair or elder-help report marked as another matter (另外, 还有 …) likewise.
    - Any other repair or elder-help report is more about the emergency ("老人八十多岁了一个人
      住", "门锁坏了进不去"): a note on it. When it names a place, it is filed there too, and
      the address is asked again rather than taken from it: a report's place may be where the
      emergency is, or not ("前进路50号院2号楼下水道堵了"), and a wrong address sends help to
      the wrong door."""
    case = held_case(ctx)
    if case is None:
        _leave_question(ctx)
        return aside(ctx, turn)
    if GIVE_UP_RE.match(turn.text):
        return give_up(ctx, turn)
    about_it = ctx.analysis.intent in ("repair", "elder_help") and not _ANOTHER.search(turn.text)
    if about_it and not place_of_slots(ctx.analysis.slots).courtyard:
        return emergency_address(ctx, turn)
    if about_it:
        _note(ctx, case, turn.text)
    filed = aside(ctx, turn)
    return replace(filed, text=f"{filed.text}\n{still_asking_where(ctx, turn).text}")


def _leave_question(ctx: Context) -> None:
    """The emergency's question is over; the reports waiting behind it still wait, and so do
    photos kept for the next report (sent after the emergency was over)."""
    end_question(ctx, waiting_reports(ctx))


def _located(ctx: Context, turn: Turn, case: Case, place: Place) -> Reply:
    followups = attach_turn_media(ctx, turn, case)  # a shared location keeps its coordinates
    located = _fill_address(ctx, case, place)
    return replace(located, followups=located.followups + followups)


def _says_emergency(ctx: Context) -> bool:
    """Whether the turn's words read as an emergency (the dispatcher reads every text or
    voice turn in this step; a photo or a location has no reading)."""
    return ctx.analysis is not None and ctx.analysis.intent == "emergency"


def _note(ctx: Context, case: Case, text: str) -> None:
    lifecycle.note(ctx.session, case, ctx.resident.openid, text[:500], now=ctx.now)


def _fill_address(ctx: Context, case: Case, place: Place) -> Reply:
    """The emergency's address, found at last: the case gets it and a new stage, so that the
    levels responsible for that place are pushed now. Reports waiting for an address are
    left queued; the caller asks about the next one (`then_next`) after its own words."""
    address = place.address(ctx.org)
    assert address is not None
    case.street, case.community = address.street, address.community
    case.courtyard, case.grid = address.courtyard, address.grid
    case.building, case.unit, case.room = place.building, place.unit, place.room
    lifecycle.record(
        ctx.session, case, "address", ctx.resident.openid, describe(ctx.org, place), now=ctx.now
    )
    case.stage += 1  # a new stage: the right levels are pushed now that we know where
    _leave_question(ctx)
    return Reply(
        ctx.say(
            "emergency.address_added",
            number=case.number,
            place=describe(ctx.org, place),
            holder=holder_of(ctx, case),
        ),
        intent="emergency",
        case_id=case.id,
        followups=[Followup.dispatch(case.id, case.stage)],
    )
