"""Photos, voice notes, videos and locations: attached to the resident's newest open case
touched in the last 10 minutes, else kept for the report that follows (always, while the bot
is asking where a report is, or binding with reports waiting for their address: the photo
belongs to that one)."""

from __future__ import annotations

from datetime import timedelta

from cases.queries import newest_active_case
from handlers.registry import handles
from handlers.reporting import attach, held_case, keep_pending
from handlers.turn import Context, Reply, Turn

ATTACH_WINDOW = timedelta(minutes=10)


@handles("media", "image", "voice", "video", "shortvideo", "location")
def media(ctx: Context, turn: Turn) -> Reply:
    kind = "video" if turn.kind == "shortvideo" else turn.kind
    step, case = ctx.dialogue.step, None
    if step == "emergency_address":  # the emergency still asking where, however long ago
        case = held_case(ctx)
    for_a_report = step == "ask_address" or (
        step == "bind" and bool((ctx.dialogue.state or {}).get("queued"))
    )
    if case is None and not for_a_report:
        case = newest_active_case(ctx.session, ctx.resident, ctx.now - ATTACH_WINDOW)
    if case is not None:
        followups = attach(
            ctx, case, kind, media_id=turn.media_id, url=turn.picture_url, location=turn.location
        )
        return Reply(
            ctx.say("attachment.added", what=ctx.say(f"attachment.{kind}"), number=case.number),
            case_id=case.id,
            followups=followups,
        )
    if kind == "location" and not for_a_report:
        return Reply(ctx.say("attachment.location_no_case"))
    keep_pending(ctx, turn, kind)
    return Reply(ctx.say("attachment.kept", what=ctx.say(f"attachment.{kind}")))
