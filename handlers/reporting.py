"""Opening a case from a report: find the place, ask for what is missing, open at once when
the first message says where. Shared by repair, dispute, elder_help and emergency."""

from __future__ import annotations

from typing import Any

from cases import lifecycle
from cases.clock import local_text
from cases.followups import Followup
from cases.models import Attachment, Case
from cases.queries import CaseLine
from handlers.places import Place, describe, place_of_resident, place_of_slots
from handlers.registry import handles
from handlers.turn import Context, Location, Reply, Turn

ASK_LIMIT = 3  # after this many answers without an address, say how to write one
PENDING_LIMIT = 9  # photos kept for a report not yet made


def place_for(ctx: Context, slots: Any) -> Place:
    """The message's own place, gaps filled from the resident's binding."""
    return place_of_slots(slots).merged(place_of_resident(ctx.resident))


def report(ctx: Context, turn: Turn, intent: str) -> Reply:
    """A repair, dispute or elder-help report: open now, or ask where."""
    slots = ctx.analysis.slots
    place = place_for(ctx, slots)
    if place.complete:
        return open_reported(ctx, turn, intent, turn.text, place, slots)
    ctx.dialogue.start(
        "ask_address",
        intent=intent,
        text=turn.text,
        place=place.as_dict(),
        tries=0,
        phone=slots.phone,
        urgent=slots.urgent,
        pending_media=(ctx.dialogue.state or {}).get("pending_media", []),
    )
    return Reply(ctx.say("report.ask_address", what=ctx.say(f"intent.{intent}")), intent=intent)


def answer_address(ctx: Context, turn: Turn) -> Reply:
    """The resident's answer to 'which courtyard and building?'."""
    state = ctx.dialogue.state or {}
    slots = ctx.analyzer.extract_slots(turn.text)
    place = place_of_slots(slots).merged(Place(**state.get("place", {})))
    intent = str(state.get("intent", "repair"))
    if place.complete:
        ctx.dialogue.clear()
        ctx.dialogue.update(pending_media=state.get("pending_media", []))
        return open_reported(
            ctx,
            turn,
            intent,
            str(state.get("text", "")),
            place,
            slots,
            phone=state.get("phone"),
            urgent=bool(state.get("urgent")),
        )
    if turn.kind == "location":  # its label did not say where: keep it for the case
        keep_pending(ctx, turn, "location")
    tries = int(state.get("tries", 0)) + 1
    ctx.dialogue.update(place=place.as_dict(), tries=tries)
    key = "report.ask_address_again" if tries < ASK_LIMIT else "report.ask_address_example"
    return Reply(ctx.say(key, courtyards=_courtyard_names(ctx)), intent=intent)


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
    """Keep a photo, voice note, video or location in the dialogue for the report it comes
    before (at most PENDING_LIMIT, the newest)."""
    pending = list((ctx.dialogue.state or {}).get("pending_media", []))[-PENDING_LIMIT + 1 :]
    item: dict[str, Any] = {"kind": kind, "media_id": turn.media_id, "url": turn.picture_url}
    if turn.location is not None:
        item["location"] = [turn.location.latitude, turn.location.longitude, turn.location.label]
    pending.append(item)
    ctx.dialogue.update(pending_media=pending)


def attach_pending(ctx: Context, case: Case) -> list[Followup]:
    """Photos sent before the words: kept in the dialogue, attached to the case now."""
    state = ctx.dialogue.state or {}
    pending = state.get("pending_media") or []
    if not pending:
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


def _courtyard_names(ctx: Context) -> str:
    return "、".join(unit.name for unit in ctx.org.courtyards[:6])


@handles("intent", "repair", "dispute", "elder_help")
def report_problem(ctx: Context, turn: Turn) -> Reply:
    """Repair, dispute and elder help differ only in policy (who starts, how fast), which
    lives in config/escalation.yaml; the conversation is the same."""
    return report(ctx, turn, ctx.analysis.intent)


handles("step", "ask_address")(answer_address)
