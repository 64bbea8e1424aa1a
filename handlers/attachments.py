"""Photos, voice notes, videos and locations: attached to the resident's newest open case
touched in the last 10 minutes, else kept for the report that follows."""

from __future__ import annotations

from datetime import timedelta

from cases.queries import newest_active_case
from handlers.registry import handles
from handlers.reporting import attach
from handlers.turn import Context, Reply, Turn

ATTACH_WINDOW = timedelta(minutes=10)
PENDING_LIMIT = 9


@handles("media", "image", "voice", "video", "shortvideo", "location")
def media(ctx: Context, turn: Turn) -> Reply:
    kind = "video" if turn.kind == "shortvideo" else turn.kind
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
    if kind == "location":
        return Reply(ctx.say("attachment.location_no_case"))
    pending = list((ctx.dialogue.state or {}).get("pending_media", []))[-PENDING_LIMIT + 1 :]
    pending.append({"kind": kind, "media_id": turn.media_id, "url": turn.picture_url})
    ctx.dialogue.update(pending_media=pending)
    return Reply(ctx.say("attachment.kept", what=ctx.say(f"attachment.{kind}")))
