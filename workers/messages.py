"""What a push says, in both forms WeChat offers: a template message (fields first,
keyword1 … keyword5, remark, and a link) and a customer-service text. Every sentence comes from
the `push:` section of config/wording.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cases.clock import local_text
from cases.links import staff_link_token
from cases.models import Case, CaseEvent
from cases.org import OrgTree
from cases.policy import Policy
from config.wording import Wording
from workers.recipients import unit_name

TEXT_LIMIT = 200  # characters of the resident's text in a push


@dataclass(frozen=True)
class Message:
    text: str  # the customer-service text
    template: dict[str, dict[str, str]]  # the template message's data
    url: str | None  # where the template message links to


@dataclass(frozen=True)
class Composer:
    wording: Wording
    org: OrgTree
    policy: Policy
    public_url: str
    secret_key: str  # signs the links in staff pushes (cases.links)

    def place(self, case: Case) -> str:
        """'铝厂小区 3号楼2单元501', or where the resident's location said, or 'address to come'."""
        yard = unit_name(self.org, case, "courtyard")
        rooms = "".join(
            f"{value}{suffix}"
            for value, suffix in ((case.building, "号楼"), (case.unit, "单元"), (case.room, ""))
            if value
        )
        text = f"{yard} {rooms}".strip()
        return text or case.location_label or self.wording("push.no_address")

    def holder(self, case: Case, level: str) -> str:
        """'铝厂一网格 网格员': the unit and the role holding the case at `level`."""
        unit, role = unit_name(self.org, case, level), self.wording(f"level.{level}")
        return unit if unit.endswith(role) else f"{unit} {role}".strip()

    def deadline(self, moment: datetime | None) -> str:
        return local_text(moment) if moment else self.wording("push.no_deadline")

    def staff(self, case: Case, kind: str, openid: str) -> Message:
        """The push to staff member `openid`: a new case, one passed up to them, or a
        reminder; its link opens the case for them without a dashboard account."""
        fields = {
            "number": case.number,
            "intent": self.wording(f"intent.{case.intent}"),
            "place": self.place(case),
            "text": (case.text or "")[:TEXT_LIMIT],
            "deadline": self.deadline(case.due_at),
            "level": self.wording(f"level.{case.level}"),
        }
        headline = self._staff_headline(case, kind, fields)
        remark = self.wording("push.staff.remark", number=case.number)
        link = f"{self.public_url}/s/{staff_link_token(self.secret_key, case.number, openid)}"
        text = self.wording(
            "push.staff.text",
            headline=headline,
            number=fields["number"],
            intent=fields["intent"],
            place=fields["place"],
            text=fields["text"],
            deadline=fields["deadline"],
            remark=remark,
            link=link,
        )
        template = _template(
            headline,
            fields["number"],
            fields["intent"],
            fields["place"],
            fields["text"],
            fields["deadline"],
            remark,
        )
        return Message(text, template, link)

    def _staff_headline(self, case: Case, kind: str, fields: dict[str, str]) -> str:
        if kind.startswith("remind"):
            return self.wording("push.staff.remind", number=case.number)
        if case.intent == "emergency":
            return self.wording("push.staff.emergency", place=fields["place"])
        if case.escalations and case.level != self.policy.rule(case.intent).start:
            return self.wording(
                "push.staff.passed_up", intent=fields["intent"], level=fields["level"]
            )
        if case.reopen_count:
            return self.wording("push.staff.reopened", intent=fields["intent"])
        return self.wording("push.staff.new", place=fields["place"], intent=fields["intent"])

    def resident(self, case: Case, event: CaseEvent) -> Message:
        """The notice to the resident of one event: taken, passed up, resolved, or an admin's
        move (another level, reopened, closed)."""
        rule = self.policy.rule(case.intent)
        intent = self.wording(f"intent.{case.intent}")
        words = {"intent": intent, "number": case.number}
        holder = self.holder(case, event.to_level or case.level)
        remark = ""
        if event.kind in _NEWS_WITH_DEADLINE:  # taken, passed up, moved: who, and by when
            key, within = _NEWS_WITH_DEADLINE[event.kind]
            deadline = self.deadline(event.at + getattr(rule, within))
            news = self.wording(f"push.resident.{key}", holder=holder, deadline=deadline, **words)
        elif event.kind == "reopen":
            news = self.wording("push.resident.reopened", holder=holder, **words)
        elif event.kind == "close":
            news = self.wording("push.resident.closed", note=(event.note or "").strip(), **words)
        else:
            note = (event.note or "").strip() or self.wording("push.resident.resolved_note")
            news = self.wording("push.resident.resolved", note=note, **words)
            remark = self.wording("push.resident.rate")
        text = f"{news}\n{remark}" if remark else news
        template = _template(
            self.wording("push.resident.title"),
            case.number,
            intent,
            self.place(case),
            news,
            local_text(event.at),
            remark,
        )
        return Message(text, template, None)


# Event kind -> (wording key under push.resident, the policy's time the new holder has).
_NEWS_WITH_DEADLINE = {
    "take": ("taken", "resolve_within"),
    "escalate": ("passed_up", "ack_within"),
    "set_level": ("moved", "ack_within"),
}


def _template(
    first: str, number: str, intent: str, place: str, text: str, when: str, remark: str
) -> dict[str, dict[str, str]]:
    values = {
        "first": first,
        "keyword1": number,
        "keyword2": intent,
        "keyword3": place,
        "keyword4": text,
        "keyword5": when,
        "remark": remark,
    }
    return {key: {"value": value} for key, value in values.items()}
