"""wechatpy's message classes reduced to a handlers.Turn: the one place that knows WeChat's
field names, so that conversations never touch XML."""

from __future__ import annotations

from bot.protocol import Inbound
from cases.clock import utcnow
from cases.models import Case, column_width
from handlers.turn import Location, Turn

LABEL_WIDTH = column_width(Case.__table__.c.location_label)  # WeChat's labels are far shorter


def turn_of(inbound: Inbound) -> Turn:
    fields = inbound.fields
    kind = str(fields["MsgType"]).lower()
    base = {"openid": fields["FromUserName"], "at": utcnow()}
    if kind == "event":
        event = str(fields.get("Event") or "").lower()
        key = fields.get("EventKey")
        location = None
        if event == "location":
            location = _location(fields.get("Latitude"), fields.get("Longitude"), "")
        return Turn(
            kind="event",
            event=event,
            event_key=key if isinstance(key, str) else "",
            location=location,
            **base,
        )
    if kind == "text":
        return Turn(kind=kind, text=_str(fields.get("Content")), **base)
    if kind == "voice":
        return Turn(
            kind=kind,
            text=_str(fields.get("Recognition")),
            media_id=_str(fields.get("MediaId")),
            **base,
        )
    if kind == "image":
        return Turn(
            kind=kind,
            media_id=_str(fields.get("MediaId")),
            picture_url=_str(fields.get("PicUrl")) or None,
            **base,
        )
    if kind in ("video", "shortvideo"):
        return Turn(kind=kind, media_id=_str(fields.get("MediaId")), **base)
    if kind == "location":
        location = _location(
            fields.get("Location_X"), fields.get("Location_Y"), _str(fields.get("Label"))
        )
        return Turn(kind=kind, location=location, text=_str(fields.get("Label")), **base)
    if kind == "link":
        text = " ".join(filter(None, (_str(fields.get("Title")), _str(fields.get("Description")))))
        return Turn(kind=kind, text=text, **base)
    return Turn(kind="unknown", **base)


def _str(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _location(lat: object, lng: object, label: str) -> Location | None:
    try:
        latitude, longitude = float(str(lat)), float(str(lng))
    except ValueError:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return Location(latitude, longitude, label[:LABEL_WIDTH])
