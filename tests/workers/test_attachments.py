"""Photos, voice notes and videos are downloaded while WeChat keeps them (three days)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases.clock import utcnow
from cases.followups import Followup
from cases.models import Attachment
from workers.context import WorkerContext
from wxstub import StubWeChat

from .support import change, drain, enqueue, open_case


def attach(
    ctx: WorkerContext, case_id: int, kind: str, media_id: str | None, **extra: object
) -> int:
    def add(session, case):  # type: ignore[no-untyped-def]
        attachment = Attachment(case=case, kind=kind, media_id=media_id, **extra)
        session.add(attachment)
        return attachment

    return int(change(ctx, case_id, add).id)


def read(ctx: WorkerContext, attachment_id: int) -> Attachment:
    with ctx.domain.db.session() as session:
        attachment = session.get(Attachment, attachment_id)
        assert attachment is not None
        return attachment


@pytest.mark.parametrize(
    ("kind", "media_id", "content_type", "suffix"),
    [
        ("image", "photo-9", "image/jpeg", ".jpg"),
        ("voice", "voice-9", "audio/amr", ".amr"),
        ("video", "video-9", "video/mp4", ".mp4"),
    ],
)
def test_media_is_downloaded_into_the_media_folder(
    ctx: WorkerContext, kind: str, media_id: str, content_type: str, suffix: str
) -> None:
    case_id, _ = open_case(ctx, "elder_help")
    attachment_id = attach(ctx, case_id, kind, media_id)
    enqueue(ctx, Followup.fetch(attachment_id))
    fetched = drain(ctx, lambda: read(ctx, attachment_id).fetched_at and read(ctx, attachment_id))
    assert fetched.path == f"{case_id}/{attachment_id}{suffix}"
    assert fetched.content_type == content_type
    file = ctx.settings.media_dir / fetched.path
    assert file.read_bytes() and fetched.size == file.stat().st_size
    assert list(file.parent.glob(".*.part")) == []


def test_an_expired_media_id_is_not_retried(ctx: WorkerContext, stub: StubWeChat) -> None:
    case_id, _ = open_case(ctx, "elder_help")
    attachment_id = attach(ctx, case_id, "image", "expired-photo")
    enqueue(ctx, Followup.fetch(attachment_id))
    failed = drain(ctx, lambda: read(ctx, attachment_id).fetch_error and read(ctx, attachment_id))
    assert failed.fetch_error.startswith("40007") and failed.path is None
    assert len([c for c in stub.calls if c.path == "media/get"]) == 1


def test_a_download_failing_for_a_while_is_retried(ctx: WorkerContext, stub: StubWeChat) -> None:
    stub.fail_next("media/get", http_status=500)
    case_id, _ = open_case(ctx, "elder_help")
    attachment_id = attach(ctx, case_id, "image", "photo-10")
    enqueue(ctx, Followup.fetch(attachment_id))
    drain(ctx, lambda: read(ctx, attachment_id).fetched_at, timeout=5)
    assert [c.status for c in stub.calls if c.path == "media/get"] == [500, 200]


def test_locations_and_old_media_are_not_fetched(ctx: WorkerContext, stub: StubWeChat) -> None:
    case_id, _ = open_case(ctx, "elder_help")
    location = attach(ctx, case_id, "location", None, latitude=34.7, longitude=113.6)
    old = attach(ctx, case_id, "image", "photo-old", created_at=utcnow() - timedelta(days=4))
    enqueue(ctx, Followup.fetch(location), Followup.fetch(old))
    drain(ctx, lambda: read(ctx, old).fetch_error)
    assert read(ctx, location).fetched_at is None and read(ctx, location).fetch_error is None
    assert "expired" in (read(ctx, old).fetch_error or "")
    assert [c for c in stub.calls if c.path == "media/get"] == []
