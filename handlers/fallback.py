"""What nothing else answers: the intent model's choice, a link, an unsupported type, and the
short menu for `other` and for messages the model is unsure about."""

from __future__ import annotations

from handlers.registry import handles, route
from handlers.turn import Context, Reply, Turn


@handles("builtin", "classify")
def classify(ctx: Context, turn: Turn) -> Reply:
    if not turn.text.strip():
        return Reply(ctx.say("fallback.menu"), intent="other")
    if ctx.analysis is None:
        ctx.analysis = ctx.analyzer.analyze(turn.text)
    handler = route("intent", ctx.analysis.intent)
    if handler is None:
        return other(ctx, turn)
    return handler(ctx, turn)


@handles("intent", "other")
def other(ctx: Context, turn: Turn) -> Reply:
    return Reply(ctx.say("fallback.menu"), intent="other")


@handles("builtin", "link")
def link(ctx: Context, turn: Turn) -> Reply:
    return Reply(ctx.say("webhook.link"))


@handles("builtin", "unsupported")
def unsupported(ctx: Context, turn: Turn) -> Reply:
    return Reply(ctx.say("webhook.unsupported"))
