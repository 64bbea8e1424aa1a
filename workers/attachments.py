"""Downloading what residents sent (photos, voice notes, videos) while WeChat still has it: a
MediaId lives three days. Files go to settings.media_dir/<case id>/<attachment id>.<ext>;
Attachment.path is relative to media_dir."""

from __future__ import annotations

import enum
import os
from datetime import timedelta
from pathlib import Path

from cases.clock import utcnow
from cases.models import Attachment
from workers.context import WorkerContext
from wxapi import classify

MEDIA_LIFETIME = timedelta(days=3)


class Fetch(enum.Enum):
    DONE = "done"  # fetched now, or nothing to fetch
    FAILED = "failed"  # for good: fetch_error is set
    RETRY = "retry"


def fetch(ctx: WorkerContext, attachment_id: int, *, final: bool) -> Fetch:
    now = utcnow()
    with ctx.domain.db.session() as session:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None or not attachment.media_id:
            return Fetch.DONE  # a location, or a link: nothing to download
        if attachment.fetched_at or attachment.fetch_error:
            return Fetch.DONE
        if now - attachment.created_at > MEDIA_LIFETIME:
            attachment.fetch_error = "MediaId expired (WeChat keeps media for 3 days)"
            return Fetch.FAILED
        case_id, media_id = attachment.case_id, attachment.media_id
    try:
        media = ctx.wechat.download_media(media_id)
    except Exception as exc:  # noqa: BLE001 - every failure is classified
        error = classify(exc)
        if not (error.permanent or final):
            return Fetch.RETRY
        with ctx.domain.db.session() as session:
            attachment = session.get(Attachment, attachment_id)
            assert attachment is not None
            attachment.fetch_error = error.detail
        return Fetch.FAILED
    relative = Path(str(case_id)) / f"{attachment_id}{media.extension}"
    _write(ctx.settings.media_dir / relative, media.content)
    with ctx.domain.db.session() as session:
        attachment = session.get(Attachment, attachment_id)
        assert attachment is not None
        attachment.path = relative.as_posix()
        attachment.content_type = media.content_type.split(";")[0].strip()
        attachment.size = len(media.content)
        attachment.fetched_at = utcnow()
        attachment.fetch_error = None
    return Fetch.DONE


def _write(path: Path, content: bytes) -> None:
    """Write whole or not at all: a crash leaves no half file under the final name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    partial.write_bytes(content)
    os.replace(partial, path)
