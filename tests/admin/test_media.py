"""Photos and voice notes: served from the media cache to admins in scope, never from
outside it; 'not yet fetched' with a button that asks the workers again."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from cases.db import Database
from cases.followups import Followup
from cases.models import Attachment, AuditLog
from config.settings import Settings
from tests.admin.conftest import open_case

JPEG = b"\xff\xd8\xff\xe0fake-jpeg"


def attach(db: Database, case_id: int, **fields: object) -> int:
    with db.session() as session:
        attachment = Attachment(case_id=case_id, **fields)
        session.add(attachment)
        session.flush()
        return attachment.id


def test_cached_photo_is_served(district: FlaskClient, db: Database, settings: Settings) -> None:
    case = open_case(db)
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    (settings.media_dir / "photo.jpg").write_bytes(JPEG)
    relative = attach(db, case.id, kind="image", media_id="M1", path="photo.jpg",
                      content_type="image/jpeg")  # fmt: skip
    absolute = attach(db, case.id, kind="image", media_id="M2",
                      path=str(settings.media_dir / "photo.jpg"))  # fmt: skip
    for attachment_id in (relative, absolute):
        with district.get(f"/admin/attachments/{attachment_id}") as response:
            assert response.status_code == 200 and response.data == JPEG
            assert response.mimetype == "image/jpeg"
    page = district.get(f"/admin/cases/{case.number}").get_data(as_text=True)
    assert f'src="/admin/attachments/{relative}"' in page


def test_files_outside_the_media_dir_are_never_served(
    district: FlaskClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    case = open_case(db)
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    for path in (str(secret), "../secret.txt", "/etc/passwd"):
        attachment_id = attach(db, case.id, kind="image", path=path)
        assert district.get(f"/admin/attachments/{attachment_id}").status_code == 404


def test_not_yet_fetched(
    district: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[Followup] = []
    monkeypatch.setattr("admin.media.enqueue", lambda f: queued.extend(f) or True)
    case = open_case(db)
    attachment_id = attach(db, case.id, kind="voice", media_id="MEDIA-1", recognition="水管漏了")
    assert district.get(f"/admin/attachments/{attachment_id}").status_code == 404
    page = district.get(f"/admin/cases/{case.number}").get_data(as_text=True)
    assert "语音尚未获取" in page and "水管漏了" in page
    response = district.post(
        f"/admin/attachments/{attachment_id}/fetch", data={"csrf_token": "test-csrf-token"}
    )
    assert response.status_code == 302
    assert queued == [Followup.fetch(attachment_id)]
    with db.session() as session:
        assert session.scalar(select(AuditLog.action)) == "attachment.fetch"
    assert district.post(f"/admin/attachments/{attachment_id}/fetch").status_code == 400


def test_attachments_of_other_communities_are_403(
    community: FlaskClient, db: Database, settings: Settings
) -> None:
    case = open_case(db, courtyard="hzl24")
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    (settings.media_dir / "p.jpg").write_bytes(JPEG)
    attachment_id = attach(db, case.id, kind="image", path="p.jpg")
    assert community.get(f"/admin/attachments/{attachment_id}").status_code == 403
    assert community.get("/admin/attachments/999999").status_code == 404


def test_other_content_is_only_a_download(
    district: FlaskClient, db: Database, settings: Settings
) -> None:
    case = open_case(db)
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    (settings.media_dir / "page.html").write_text("<script>alert(1)</script>")
    attachment_id = attach(db, case.id, kind="image", path="page.html", content_type="text/html")
    with district.get(f"/admin/attachments/{attachment_id}") as response:
        assert response.status_code == 200
        assert response.mimetype == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_token_clients_can_open_the_urls_they_are_given(
    app: Flask, db: Database, settings: Settings, tokens: dict[str, str]
) -> None:
    """The API's attachment `url` and Open311's `media_url` are served to the credentials that
    read them (a bearer token, Open311's api_key), with the same scope; the pages' own route
    would send a token client to the login form."""
    case = open_case(db)
    other = open_case(db, courtyard="hzl24")
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    (settings.media_dir / "photo.jpg").write_bytes(JPEG)
    mine = attach(db, case.id, kind="image", media_id="M1", path="photo.jpg",
                  content_type="image/jpeg")  # fmt: skip
    theirs = attach(db, other.id, kind="image", path="photo.jpg", content_type="image/jpeg")
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {tokens['tbbl']}"}
    detail = client.get(f"/api/cases/{case.number}", headers=bearer).get_json()
    url = detail["attachments"][0]["url"]
    with client.get(url, headers=bearer) as response:
        assert response.status_code == 200 and response.data == JPEG
    assert client.get(url).status_code == 401  # no credentials: no photo
    requests = client.get(f"/open311/v2/requests/{case.number}.json?api_key={tokens['tbbl']}")
    media_url = requests.get_json()[0]["media_url"]
    with client.get(f"{media_url}?api_key={tokens['tbbl']}") as response:
        assert response.status_code == 200 and response.data == JPEG
    assert client.get(url.replace(str(mine), str(theirs)), headers=bearer).status_code == 403
    assert client.get(f"/open311/v2/media/{theirs}?api_key={tokens['tbbl']}").status_code == 403
