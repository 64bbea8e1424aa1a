"""Opinions (问需于民): stored with their topic and courtyard, thanked, and told where they go."""

from __future__ import annotations

from sqlalchemy import insert

from cases.models import Opinion
from handlers.registry import handles
from handlers.reporting import place_for
from handlers.turn import Context, Reply, Turn
from nlp import opinion_topic

# One plain INSERT: an opinion is written once and never read back in the conversation, and a
# unit of work for it cost as much as the rest of the message's writes.
_INSERT_OPINION = insert(Opinion.__table__)


@handles("intent", "opinion")
def opinion(ctx: Context, turn: Turn) -> Reply:
    place = place_for(ctx, ctx.analysis.slots)
    address = place.address(ctx.org)
    topic = opinion_topic(turn.text)
    if address is not None:
        goes_to = ctx.org.unit("community", address.community).name
    else:
        goes_to = ctx.say("opinion.district")
    ctx.session.connection().execute(
        _INSERT_OPINION,
        {
            "resident_id": ctx.resident.id,
            "courtyard": place.courtyard,
            "community": address.community if address else None,
            "topic": topic,
            "text": turn.text,
            "created_at": ctx.now,
        },
    )
    return Reply(
        ctx.say("opinion.thanks", topic=ctx.say(f"topic.{topic}"), goes_to=goes_to),
        intent="opinion",
    )
