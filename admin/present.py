"""How stored values read for people: Chinese names of statuses, levels, intents and units,
China time, masked phone numbers, and who an event's actor is.

The names come from config/wording.yaml (the words residents read), so the dashboard and the
bot never disagree about what a status is called."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from cases import lifecycle
from cases.clock import local
from cases.models import Case, CaseEvent
from cases.org import LEVEL_NAMES, OrgTree
from config.wording import Wording


class Labels:
    """Names for one request's rendering: wording for enums, the org tree for units."""

    def __init__(self, wording: Wording, org: OrgTree) -> None:
        self.wording = wording
        self.org = org

    def _word(self, group: str, key: str | None) -> str:
        if not key:
            return ""
        name = f"{group}.{key}"
        return self.wording(name) if self.wording.has(name) else key

    def status(self, key: str | None) -> str:
        return self._word("status", key)

    def intent(self, key: str | None) -> str:
        return self._word("intent", key)

    def topic(self, key: str | None) -> str:
        return self._word("topic", key)

    def event(self, key: str | None) -> str:
        return self._word("event", key)

    def level(self, key: str | None) -> str:
        """The short level name (网格, 楼院 …), as admins speak of levels."""
        return LEVEL_NAMES.get(key or "", key or "")

    def unit(self, level: str, code: str | None) -> str:
        if not code:
            return ""
        found = self.org.units.get((level, code))
        return found.name if found else code

    def place(self, case: Case) -> str:
        """'铝厂小区 3号楼2单元501', or the location label when the address is unknown."""
        parts = [self.unit("courtyard", case.courtyard)]
        if case.building:
            room = f"{case.building}号楼"
            room += f"{case.unit}单元" if case.unit else ""
            room += case.room or ""
            parts.append(room)
        text = " ".join(p for p in parts if p)
        return text or case.location_label or "地址未知"

    def holder(self, case: Case) -> str:
        """Who holds the case now: '铝厂一网格（网格）'."""
        code = getattr(case, case.level, None)
        return f"{self.unit(case.level, code) or '未定'}（{self.level(case.level)}）"

    def actor(self, actor: str) -> str:
        """Staff by name and role, admins by account, residents as 居民, jobs as 系统."""
        if actor.startswith("admin:"):
            return f"管理员 {actor[6:]}"
        posts = self.org.staff_posts(lifecycle.actor_openid(actor))
        if posts:
            unit, member = posts[-1]
            return f"{member.name}（{unit.name}{'·' + member.role if member.role else ''}）"
        if actor in ("system", "worker", "sweeper") or actor.startswith(("system", "worker")):
            return "系统"
        return "居民"

    def event_line(self, event: CaseEvent) -> str:
        """What moved: '待接单 → 处理中', '网格 → 社区', or ''."""
        parts = []
        if event.from_status and event.from_status != event.to_status:
            parts.append(f"{self.status(event.from_status)} → {self.status(event.to_status)}")
        if event.from_level and event.from_level != event.to_level:
            parts.append(f"{self.level(event.from_level)} → {self.level(event.to_level)}")
        return "；".join(parts)


def mask_phone(phone: str | None) -> str:
    """'138****5678': enough to recognise a number, not enough to call it from a list."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) < 8:
        return digits[:1] + "*" * (len(digits) - 3) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def when(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored naive-UTC moment as China time."""
    return local(moment).strftime(fmt) if moment else ""


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the +08:00 offset, for JSON and Open311."""
    return local(moment).isoformat(timespec="seconds") if moment else None


def duration(seconds: float | None) -> str:
    """'3小时12分', '2天4小时', '45分' for people; '—' when there is nothing to show."""
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{mins}分"
    return f"{mins}分"


def map_link(latitude: float, longitude: float, label: str | None = None) -> str:
    """A link that opens the point in Amap (WeChat reports GCJ-02 coordinates, as Amap uses);
    a link, not an embedded map, so that no page loads anything from another site."""
    query = {"position": f"{longitude:.6f},{latitude:.6f}", "name": label or "居民位置"}
    return "https://uri.amap.com/marker?" + urlencode(query)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def jinja_helpers(labels: Labels) -> dict[str, Any]:
    return {
        "labels": labels,
        "when": when,
        "duration": duration,
        "percent": percent,
        "mask_phone": mask_phone,
        "map_link": map_link,
    }
