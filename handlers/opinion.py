"""Opinions (问需于民): stored with their topic and courtyard, thanked, and told where they go."""

from __future__ import annotations

from cases.models import Opinion
from handlers.registry import handles
from handlers.reporting import place_for
from handlers.turn import Context, Reply, Turn
from nlp import opinion_topic


@handles("intent", "opinion")
def opinion(ctx: Context, turn: Turn) -> Reply:
    place = place_for(ctx, ctx.analysis.slots)
    address = place.address(ctx.org)
    topic = opinion_topic(turn.text)
    ctx.session.add(
        Opinion(
            resident_id=ctx.resident.id,
            courtyard=place.courtyard,
            community=address.community if address else None,
            topic=topic,
            text=turn.text,
            created_at=ctx.now,
        )
    )
    if address is not None:
        goes_to = ctx.org.unit("community", address.community).name
    else:
        goes_to = ctx.say("opinion.district")
    return Reply(
        ctx.say("opinion.thanks", topic=ctx.say(f"topic.{topic}"), goes_to=goes_to),
        intent="opinion",
    )
