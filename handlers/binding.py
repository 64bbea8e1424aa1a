"""Binding: the resident's address, so that later reports need not say where.
`绑定 铝厂小区 3号楼2单元501`, or a guided version; `我的信息` shows it; `解绑` removes it.

`绑定` sent while reports wait for their address (the bot asked 哪个小区、几号楼 and the resident
answers by binding) keeps them: once bound, they are filed at the new address, as a bound
resident's reports are; if binding is given up, they are asked about again. Photos sent while
binding go with the first of them (with none, they wait for the next report). While an
emergency waits for its address, binding waits: that question comes first."""

from __future__ import annotations

from typing import Any

from handlers.places import Place, describe, place_of_resident, place_of_slots
from handlers.registry import handles
from handlers.reporting import (
    ask_again,
    courtyard_names,
    drop_question,
    end_question,
    file_waiting,
    give_up,
    held_case,
    then_next,
    waiting_reports,
)
from handlers.turn import Context, Reply, Turn


@handles("command", "绑定", "绑定住址", "绑定地址")
def bind(ctx: Context, turn: Turn) -> Reply:
    state = ctx.dialogue.state or {}
    if state.get("step") == "emergency_address" and held_case(ctx) is not None:
        # Help needs the emergency's address first; a home bound now is not necessarily
        # where the emergency is, so it is not taken as its address either.
        return Reply(f"{ctx.say('binding.emergency_first')}\n{ask_again(ctx, turn)}")
    waiting = waiting_reports(ctx)
    # Photos kept for a report not yet made; the asked report's own are in `waiting`.
    media = [] if state.get("step") == "ask_address" else state.get("pending_media") or []
    rest = turn.text.strip()[len(turn.text.split()[0]) :] if turn.text.split() else ""
    return _bind_from(ctx, turn, rest, Place(), waiting, list(media))


@handles("step", "bind")
def bind_answer(ctx: Context, turn: Turn) -> Reply:
    state = ctx.dialogue.state or {}
    waiting = list(state.get("queued") or [])
    media = list(state.get("pending_media") or [])
    return _bind_from(ctx, turn, turn.text, Place(**state.get("place", {})), waiting, media)


@handles("remind", "bind")
def still_binding(ctx: Context, turn: Turn) -> Reply:
    place = (ctx.dialogue.state or {}).get("place") or {}
    key = "binding.ask_building" if place.get("courtyard") else "binding.ask"
    return Reply(ctx.say(key, courtyards=courtyard_names(ctx)))


# A report, question or opinion instead of the address: binding is optional and the resident
# has moved on, so it is given up (and said so) and the message handled as new. An address in
# it is where the problem is, not necessarily home: nothing is bound.
handles("leave", "bind")(give_up)


def _bind_from(
    ctx: Context,
    turn: Turn,
    text: str,
    known: Place,
    waiting: list[dict[str, Any]],
    media: list[dict[str, Any]],
) -> Reply:
    """Bind `text`'s address (with `known`), or ask for what is missing. `waiting`: the
    reports without an address; `media`: photos sent before or while binding, not yet any
    report's."""
    slots = ctx.analyzer.extract_slots(text) if text.strip() else None
    place = place_of_slots(slots).merged(known) if slots else known
    if slots is None or not place.complete:
        ctx.dialogue.start("bind", place=place.as_dict(), queued=waiting, pending_media=media)
        return still_binding(ctx, turn)
    resident = ctx.resident
    resident.courtyard, resident.building = place.courtyard, place.building
    resident.unit, resident.room = place.unit, place.room
    if slots.phone:
        resident.phone = slots.phone
    ctx.dialogue.clear()
    # Photos kept for no report yet: with the first waiting report if any, else for the next
    # report (file_waiting sets each filed report's own photos).
    if waiting and media:
        first, *others = waiting
        kept = [*(first.get("pending_media") or []), *media]
        waiting = [{**first, "pending_media": kept}, *others]
    elif media:
        ctx.dialogue.update(pending_media=media)
    return file_waiting(
        ctx, turn, waiting, Reply(ctx.say("binding.done", place=describe(ctx.org, place)))
    )


@handles("command", "我的信息", "我的住址")
def my_info(ctx: Context, turn: Turn) -> Reply:
    place = place_of_resident(ctx.resident)
    if not place.courtyard:
        return Reply(ctx.say("binding.none"))
    phone = ctx.resident.phone
    masked = (
        f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) >= 7 else ctx.say("binding.no_phone")
    )
    return Reply(ctx.say("binding.info", place=describe(ctx.org, place), phone=masked))


@handles("command", "解绑", "解除绑定")
def unbind(ctx: Context, turn: Turn) -> Reply:
    resident = ctx.resident
    resident.courtyard = resident.building = resident.unit = resident.room = None
    resident.phone = None
    return Reply(ctx.say("binding.removed"))


@handles("command", "取消")
def cancel(ctx: Context, turn: Turn) -> Reply:
    """Ends the question asked now; reports already opened stay open (a case is never lost).
    Reports waiting their turn were promised (已记下): only the one asked about is dropped,
    and the next is asked about."""
    state = ctx.dialogue.state or {}
    if state.get("step") is None or not state.get("queued"):
        end_question(ctx)  # photos kept for the next report were not what was asked
        had = state.get("step") is not None
        return Reply(ctx.say("dialogue.cancelled" if had else "dialogue.nothing_to_cancel"))
    return then_next(ctx, Reply(drop_question(ctx)))
