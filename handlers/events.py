"""WeChat events: following the account, menu clicks, scans, location reports."""

from __future__ import annotations

from handlers.registry import handles, route
from handlers.turn import Context, Reply, Turn


@handles("event", "subscribe", "subscribe_scan")
def welcome(ctx: Context, turn: Turn) -> Reply:
    ctx.resident.subscribed = True
    return Reply(ctx.say("webhook.welcome"))


@handles("event", "unsubscribe")
def goodbye(ctx: Context, turn: Turn) -> Reply:
    """No reply can reach someone who left; we note it so pushes stop trying."""
    ctx.resident.subscribed = False
    return Reply("")


@handles("event", "click")
def menu_click(ctx: Context, turn: Turn) -> Reply:
    handler = route("menu", turn.event_key)
    if handler is None:
        return Reply(ctx.say("menu.unknown"))
    return handler(ctx, turn)


@handles("menu", "REPORT")
def menu_report(ctx: Context, turn: Turn) -> Reply:
    return Reply(ctx.say("menu.report"))


@handles("menu", "OPINION")
def menu_opinion(ctx: Context, turn: Turn) -> Reply:
    return Reply(ctx.say("menu.opinion"))


@handles("menu", "BIND")
def menu_bind(ctx: Context, turn: Turn) -> Reply:
    return Reply(ctx.say("menu.bind"))


@handles("menu", "QUERY")
def menu_query(ctx: Context, turn: Turn) -> Reply:
    handler = route("command", "查询")
    assert handler is not None
    return handler(ctx, turn)


@handles("builtin", "quiet_event")
@handles("event", "view", "scan", "location", "templatesendjobfinish", "masssendjobfinish")
def quiet(ctx: Context, turn: Turn) -> Reply:
    """Events that are not a request (opening a link, a periodic location report, delivery
    receipts): stored, answered with nothing."""
    return Reply("")
