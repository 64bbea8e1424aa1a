"""What a handler is given (the turn) and what it gives back (the reply and follow-up work)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from cases.followups import Followup
from cases.models import Resident
from cases.org import OrgTree
from cases.policy import Policy
from config.wording import Wording

if TYPE_CHECKING:
    from handlers.dialogue import Dialogue
    from nlp import Analyzer


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    label: str = ""


@dataclass(frozen=True)
class Turn:
    """One inbound message, reduced to what conversations need."""

    openid: str
    kind: str  # text, voice, image, video, shortvideo, location, link, event
    text: str = ""  # the text, a voice note's recognition, a link's title
    event: str = ""  # for kind == "event": subscribe, click, view, scan, location, …
    event_key: str = ""  # a menu key (CLICK) or a scene (SCAN)
    media_id: str | None = None
    picture_url: str | None = None
    location: Location | None = None
    at: datetime | None = None


# WeChat shows nothing but "该公众号暂时无法提供服务" for a text reply over 2048 bytes (UTF-8:
# about 680 Chinese characters).
REPLY_BYTES = 2048


@dataclass
class Reply:
    text: str
    intent: str | None = None
    case_id: int | None = None
    followups: list[Followup] = field(default_factory=list)


@dataclass
class Context:
    """Everything a handler may use. It changes the world only through `session` (cases/)
    and `dialogue`; follow-up work is returned in the Reply, enqueued after the commit."""

    session: Session
    org: OrgTree
    policy: Policy
    wording: Wording
    analyzer: Analyzer
    dialogue: Dialogue
    resident: Resident
    now: datetime
    analysis: Any = None  # nlp.Analysis of the turn's text, once classified

    def say(self, key: str, **fields: Any) -> str:
        return self.wording(key, **fields)
