"""The JSON API and Open311: tokens, sessions, scopes, and the shapes other systems read."""

from __future__ import annotations

import re

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from admin.accounts import create_token
from bot.__main__ import main
from cases.db import Database
from cases.models import AdminUser, ApiToken, Case
from config.settings import PROJECT_ROOT
from tests.admin.conftest import open_case

PATHS = ["/api/cases", "/api/stats", "/open311/v2/services.json", "/open311/v2/requests.json"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", PATHS)
def test_no_or_wrong_credentials_are_401(app: Flask, tokens: dict[str, str], path: str) -> None:
    client = app.test_client()
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.is_json
    for headers in (
        bearer("gbt_wrong"),
        bearer(tokens["district"] + "x"),
        {"Authorization": f"Basic {tokens['district']}"},
        {"Authorization": "Bearer"},
    ):
        assert client.get(path, headers=headers).status_code == 401
    assert client.get(path, headers=bearer(tokens["district"])).status_code == 200


def test_a_wrong_token_is_not_rescued_by_a_session(
    district: FlaskClient, tokens: dict[str, str]
) -> None:
    assert district.get("/api/cases").status_code == 200
    assert district.get("/api/cases", headers=bearer("gbt_wrong")).status_code == 401


def test_a_revoked_token_is_401(app: Flask, db: Database, tokens: dict[str, str]) -> None:
    with db.session() as session:
        session.execute(update(ApiToken).values(revoked=True))
    assert app.test_client().get("/api/cases", headers=bearer(tokens["tbbl"])).status_code == 401


def test_token_carries_the_admins_scope(app: Flask, db: Database, tokens: dict[str, str]) -> None:
    mine = open_case(db, courtyard="lvchang").number
    theirs = open_case(db, courtyard="hzl24").number
    client = app.test_client()
    listed = client.get("/api/cases", headers=bearer(tokens["tbbl"])).get_json()
    assert [c["number"] for c in listed["items"]] == [mine]
    assert client.get(f"/api/cases/{theirs}", headers=bearer(tokens["tbbl"])).status_code == 403
    assert client.get(f"/api/cases/{theirs}", headers=bearer(tokens["lsz"])).status_code == 200
    forbidden = client.get("/api/cases?community=hzl", headers=bearer(tokens["tbbl"]))
    assert forbidden.status_code == 403 and forbidden.get_json()["error"] == "Forbidden"


def test_case_list_json_is_paged_and_masked(
    app: Flask, db: Database, tokens: dict[str, str]
) -> None:
    made = [open_case(db, f"第{i}件", phone="13912345678").number for i in range(3)]
    client = app.test_client()
    body = client.get("/api/cases?per_page=2&sort=number", headers=bearer(tokens["district"]))
    data = body.get_json()
    assert (data["total"], data["pages"], data["page"], data["per_page"]) == (3, 2, 1, 2)
    assert [c["number"] for c in data["items"]] == made[:2]
    item = data["items"][0]
    assert item["phone"] == "139****5678"
    assert (item["status"], item["status_name"], item["level"], item["level_name"]) == (
        "open", "待接单", "grid", "网格",
    )  # fmt: skip
    assert item["created_at"].endswith("+08:00") and item["overdue"] is False
    assert item["url"].endswith(f"/api/cases/{made[0]}")
    assert "第0件" in body.get_data(as_text=True)  # UTF-8, not \u escapes
    bad = client.get("/api/cases?status=nope", headers=bearer(tokens["district"]))
    assert bad.status_code == 400 and "status" in bad.get_json()["detail"]


def test_case_detail_has_its_events(
    district: FlaskClient, app: Flask, db: Database, tokens: dict[str, str]
) -> None:
    number = open_case(db, "楼道灯坏了", phone="13912345678").number
    district.post(
        f"/admin/cases/{number}/act",
        data={"csrf_token": "test-csrf-token", "action": "level", "level": "street", "text": "急"},
    )
    data = app.test_client().get(f"/api/cases/{number}", headers=bearer(tokens["district"]))
    case = data.get_json()
    assert case["number"] == number and case["phone"] == "13912345678"
    assert case["level"] == "street" and case["place"] == "铝厂小区 3号楼"
    assert [e["kind"] for e in case["events"]] == ["opened", "set_level"]
    moved = case["events"][1]
    assert set(moved) >= {"at", "kind", "actor", "from_status", "to_status", "from_level",
                          "to_level", "note"}  # fmt: skip
    assert (moved["actor"], moved["from_level"], moved["to_level"], moved["note"]) == (
        "admin:district", "grid", "street", "急",
    )  # fmt: skip
    assert (
        app.test_client()
        .get("/api/cases/000000-0000", headers=bearer(tokens["district"]))
        .status_code
        == 404
    )


def test_stats_json(app: Flask, db: Database, tokens: dict[str, str]) -> None:
    open_case(db)
    data = app.test_client().get("/api/stats?days=7", headers=bearer(tokens["district"]))
    stats = data.get_json()
    assert stats["period_days"] == 7 and stats["today"] == 1 and stats["open_total"] == 1
    assert stats["open_by_level"]["grid"] == 1
    assert {"take_rate", "resolve_rate", "satisfaction", "reopen_rate",
            "median_take_seconds", "median_resolve_seconds"} <= set(stats["figures"])  # fmt: skip
    assert len(stats["by_day"]) == 7 and stats["by_intent"] == {"repair": 1}
    assert (
        app.test_client().get("/api/stats?days=8", headers=bearer(tokens["district"])).status_code
        == 400
    )


def test_open311_services_and_requests(app: Flask, db: Database, tokens: dict[str, str]) -> None:
    number = open_case(db, "3号楼楼道灯坏了", phone="13912345678").number
    dispute = open_case(db, "噪音", intent="dispute", courtyard="hzl24").number
    with db.session() as session:
        case = session.query(Case).filter_by(number=number).one()
        case.latitude, case.longitude = 34.7466, 113.6253
    client = app.test_client()
    headers = bearer(tokens["district"])
    services = client.get("/open311/v2/services.json", headers=headers).get_json()
    assert {s["service_code"] for s in services} >= {"repair", "dispute", "emergency"}
    assert services[0]["service_name"] == "报修" and services[0]["type"] == "realtime"
    requests = client.get("/open311/v2/requests.json", headers=headers).get_json()
    assert {r["service_request_id"] for r in requests} == {number, dispute}
    one = client.get(f"/open311/v2/requests/{number}.json", headers=headers).get_json()
    assert len(one) == 1
    request = one[0]
    assert (request["status"], request["service_code"], request["description"]) == (
        "open", "repair", "3号楼楼道灯坏了",
    )  # fmt: skip
    assert (request["lat"], request["long"]) == (34.7466, 113.6253)
    assert request["requested_datetime"].endswith("+08:00")
    assert "13912345678" not in str(one) and "oRESIDENT" not in str(one)
    only = client.get("/open311/v2/requests.json?service_code=dispute", headers=headers)
    assert [r["service_request_id"] for r in only.get_json()] == [dispute]
    by_id = client.get(f"/open311/v2/requests.json?service_request_id={dispute}", headers=headers)
    assert [r["service_request_id"] for r in by_id.get_json()] == [dispute]
    closed = client.get("/open311/v2/requests.json?status=closed", headers=headers)
    assert closed.get_json() == []
    late = client.get("/open311/v2/requests.json?start_date=2099-01-01T00:00:00Z", headers=headers)
    assert late.get_json() == []
    bad = client.get("/open311/v2/requests.json?start_date=soon", headers=headers)
    assert bad.status_code == 400 and bad.get_json()[0]["code"] == 400
    missing = client.get("/open311/v2/requests/000000-0000.json", headers=headers)
    assert missing.status_code == 404 and missing.get_json()[0]["code"] == 404


def test_open311_accepts_api_key(app: Flask, db: Database, tokens: dict[str, str]) -> None:
    open_case(db)
    client = app.test_client()
    assert client.get(f"/open311/v2/requests.json?api_key={tokens['tbbl']}").status_code == 200
    assert client.get("/open311/v2/requests.json?api_key=gbt_nope").status_code == 401


def test_openapi_documents_every_api_path(app: Flask) -> None:
    spec = yaml.safe_load((PROJECT_ROOT / "docs/openapi.yaml").read_text(encoding="utf-8"))
    documented = set(spec["paths"])
    served = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/api/", "/open311/"))
    }
    served = {path.replace("{number}.json", "{id}.json") for path in served}
    assert served == documented


def test_revoke_token_command_cuts_one_token_or_all(
    app: Flask,
    db: Database,
    tokens: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`python -m bot tokens NAME` lists ids; `revoke-token NAME --id N` cuts that token at
    once (the next request is 401), `--all` every live one; others' tokens are untouched."""
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.delenv("WECHAT_TOKEN", raising=False)
    second = create_token(db, "tbbl")
    client = app.test_client()
    assert main(["tokens", "tbbl"]) == 0
    listed = capsys.readouterr().out.split("\n")
    ids = [int(line.split()[0]) for line in listed if line.strip().endswith("live")]
    assert len(ids) == 2
    assert main(["revoke-token", "tbbl", "--id", str(ids[0])]) == 0
    assert client.get("/api/cases", headers=bearer(tokens["tbbl"])).status_code == 401
    assert client.get("/api/cases", headers=bearer(second)).status_code == 200
    assert main(["revoke-token", "tbbl", "--all"]) == 0
    assert f"revoked token(s) {ids[1]} " in capsys.readouterr().out
    assert client.get("/api/cases", headers=bearer(second)).status_code == 401
    assert client.get("/api/cases", headers=bearer(tokens["district"])).status_code == 200
    assert main(["tokens", "tbbl"]) == 0
    assert capsys.readouterr().out.count("revoked") == 2
    # Another admin's token id is not this admin's to revoke; an unknown name is an error.
    with db.session() as session:
        other = session.scalar(
            select(ApiToken.id).where(
                ApiToken.admin_id == AdminUser.id, AdminUser.name == "district"
            )
        )
    assert main(["revoke-token", "tbbl", "--id", str(other)]) == 2
    assert main(["revoke-token", "ghost", "--all"]) == 2
    assert client.get("/api/cases", headers=bearer(tokens["district"])).status_code == 200
