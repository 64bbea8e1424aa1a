"""Photos, voice notes and videos of a case, served from the media cache the workers fill
(they download each file through the WeChat media API while its MediaId lives).

A file is served only to an admin who may see its case, and only from inside the media
directory, whatever path a row holds."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import abort, flash, redirect, send_file, url_for
from werkzeug.wrappers import Response as BaseResponse

from admin.audit import audit
from admin.auth import viewer
from admin.context import services
from admin.jobs import enqueue
from admin.web import page_blueprint
from cases.followups import Followup
from cases.models import Attachment, Case

bp = page_blueprint("admin_media", __name__)
MEDIA_TYPES = frozenset({"image", "audio", "video"})


def cached_file(attachment: Attachment, media_dir: Path) -> Path | None:
    """The downloaded file of `attachment`, if there is one inside `media_dir`."""
    if not attachment.path:
        return None
    root = media_dir.resolve()
    candidate = Path(attachment.path)
    if not candidate.is_absolute():
        candidate = root / candidate
    candidate = candidate.resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def _visible_attachment(attachment_id: int) -> tuple[Attachment, str]:
    with services().domain.db.session() as session:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None:
            abort(404)
        case = session.get(Case, attachment.case_id)
        if case is None or not viewer().scope.allows(case):
            abort(403)
        return attachment, case.number


@bp.get("/attachments/<int:attachment_id>")
def attachment_file(attachment_id: int) -> BaseResponse:
    return send_attachment(attachment_id)


def send_attachment(attachment_id: int) -> BaseResponse:
    """The file of an attachment the viewer may see, however they signed in: the pages'
    session here, a token on the API and Open311 (their blueprints serve it too)."""
    attachment, _ = _visible_attachment(attachment_id)
    found = cached_file(attachment, services().settings.media_dir)
    if found is None:
        abort(404)
    mimetype = attachment.content_type or mimetypes.guess_type(found.name)[0] or ""
    if mimetype.split("/")[0] in MEDIA_TYPES:
        return send_file(found, mimetype=mimetype, max_age=0)
    # Anything else is only ever a download, never a page the browser would render.
    return send_file(found, mimetype="application/octet-stream", as_attachment=True, max_age=0)


@bp.post("/attachments/<int:attachment_id>/fetch")
def attachment_fetch(attachment_id: int) -> BaseResponse:
    """Ask the workers to (re)download a file that is not in the cache yet."""
    attachment, number = _visible_attachment(attachment_id)
    if attachment.media_id and not attachment.path and not attachment.fetch_error:
        with services().domain.db.session() as session:
            audit(session, viewer().actor, "attachment.fetch", f"{number} #{attachment.id}")
        queued = enqueue([Followup.fetch(attachment.id)])
        flash("已提交获取请求，请稍后刷新。" if queued else "暂时无法提交获取请求。", "ok")
    return redirect(url_for("admin_cases.case_page", number=number) + "#attachments")
