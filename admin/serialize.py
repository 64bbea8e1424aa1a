"""Cases as JSON for the API: stable English keys, codes with their Chinese names, times in
ISO 8601 with the +08:00 offset. Lists mask the phone; a single case shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for

from admin.filters import is_late
from admin.present import Labels, iso, mask_phone
from cases.models import Attachment, Case, CaseEvent


def case_summary(case: Case, labels: Labels, now: datetime) -> dict[str, Any]:
    return {
        "number": case.number,
        "intent": case.intent,
        "intent_name": labels.intent(case.intent),
        "status": case.status,
        "status_name": labels.status(case.status),
        "level": case.level,
        "level_name": labels.level(case.level),
        "priority": case.priority,
        "street": case.street,
        "community": case.community,
        "community_name": labels.unit("community", case.community) or None,
        "courtyard": case.courtyard,
        "courtyard_name": labels.unit("courtyard", case.courtyard) or None,
        "grid": case.grid,
        "building": case.building,
        "unit": case.unit,
        "room": case.room,
        "text": case.text,
        "phone": mask_phone(case.phone) or None,
        "created_at": iso(case.created_at),
        "updated_at": iso(case.updated_at),
        "due_at": iso(case.due_at),
        "overdue": is_late(case, now),
        "acknowledged_at": iso(case.acknowledged_at),
        "resolved_at": iso(case.resolved_at),
        "closed_at": iso(case.closed_at),
        "rating": case.rating,
        "escalations": case.escalations,
        "reopen_count": case.reopen_count,
        "url": url_for("admin_api.case_detail", number=case.number, _external=True),
    }


def event_dict(event: CaseEvent, labels: Labels) -> dict[str, Any]:
    return {
        "at": iso(event.at),
        "kind": event.kind,
        "kind_name": labels.event(event.kind),
        "actor": event.actor,
        "actor_name": labels.actor(event.actor),
        "from_status": event.from_status,
        "to_status": event.to_status,
        "from_level": event.from_level,
        "to_level": event.to_level,
        "note": event.note,
    }


def attachment_dict(attachment: Attachment) -> dict[str, Any]:
    fetched = bool(attachment.path)
    return {
        "id": attachment.id,
        "kind": attachment.kind,
        "content_type": attachment.content_type,
        "fetched": fetched,
        "url": (
            url_for("admin_api.attachment_file", attachment_id=attachment.id, _external=True)
            if fetched
            else None
        ),
        "latitude": attachment.latitude,
        "longitude": attachment.longitude,
        "label": attachment.label,
        "recognition": attachment.recognition,
        "created_at": iso(attachment.created_at),
    }


def case_full(case: Case, labels: Labels, now: datetime) -> dict[str, Any]:
    data = case_summary(case, labels, now)
    data.update(
        phone=case.phone,
        holder=labels.holder(case),
        place=labels.place(case),
        latitude=case.latitude,
        longitude=case.longitude,
        location_label=case.location_label,
        acknowledged_by=case.acknowledged_by,
        events=[event_dict(e, labels) for e in case.events],
        attachments=[attachment_dict(a) for a in case.attachments],
    )
    return data
