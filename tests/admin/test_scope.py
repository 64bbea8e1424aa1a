"""A community admin sees only that community's cases, everywhere; a street admin only the
street's. Scope violations are 403 on pages and in the API alike."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cases.db import Database
from cases.models import Opinion
from tests.admin.conftest import client_as, open_case


@pytest.fixture
def spread(db: Database) -> dict[str, str]:
    """One case in 桐本北路社区 (新华路街道), two in 互助路社区 (林山寨街道), one nowhere."""
    with db.session() as session:
        session.add(
            Opinion(courtyard="lvchang", community="tbbl", topic="elevator", text="铝厂电梯")
        )
        session.add(Opinion(courtyard="hzl24", community="hzl", topic="parking", text="互助停车"))
    return {
        "lvchang": open_case(db, "铝厂的灯", courtyard="lvchang").number,
        "tbl191": open_case(db, "桐柏路的水", courtyard="tbl191").number,
        "hzl24": open_case(db, "互助路的门", courtyard="hzl24").number,
        "nowhere": open_case(db, "救命", courtyard=None, intent="emergency").number,
    }


@pytest.fixture
def street(app: Flask, admins: dict[str, int]) -> FlaskClient:
    return client_as(app, admins["lsz"])


def test_each_scope_lists_its_own_cases(
    district: FlaskClient, street: FlaskClient, community: FlaskClient, spread: dict[str, str]
) -> None:
    def listed(client: FlaskClient) -> set[str]:
        return {c["number"] for c in client.get("/api/cases").get_json()["items"]}

    assert listed(district) == set(spread.values())
    assert listed(street) == {spread["tbl191"], spread["hzl24"]}
    assert listed(community) == {spread["lvchang"]}
    page = community.get("/admin/cases").get_data(as_text=True)
    assert spread["lvchang"] in page and spread["hzl24"] not in page
    assert "桐本北路社区" in page  # the scope is named in the top bar


def test_other_communities_cases_are_403(
    community: FlaskClient, street: FlaskClient, spread: dict[str, str]
) -> None:
    for number in (spread["hzl24"], spread["nowhere"]):
        assert community.get(f"/admin/cases/{number}").status_code == 403
        assert community.get(f"/api/cases/{number}").status_code == 403
        assert community.get(f"/open311/v2/requests/{number}.json").status_code == 403
        response = community.post(
            f"/admin/cases/{number}/act",
            data={"csrf_token": "test-csrf-token", "action": "note", "text": "x"},
        )
        assert response.status_code == 403
    assert street.get(f"/admin/cases/{spread['lvchang']}").status_code == 403
    assert street.get(f"/admin/cases/{spread['hzl24']}").status_code == 200


def test_filtering_outside_the_scope_is_403(
    community: FlaskClient, street: FlaskClient, spread: dict[str, str]
) -> None:
    for path in (
        "/admin/cases?community=hzl",
        "/admin/cases?courtyard=hzl24",
        "/admin/cases?street=lsz",
        "/admin/cases.csv?community=hzl",
        "/api/cases?courtyard=tbl191",
        "/admin/opinions?courtyard=hzl24",
    ):
        assert community.get(path).status_code == 403, path
    assert street.get("/api/cases?community=tbbl").status_code == 403
    assert street.get("/api/cases?community=hzl").status_code == 200


def test_export_stats_opinions_and_org_keep_to_the_scope(
    community: FlaskClient, spread: dict[str, str]
) -> None:
    csv = community.get("/admin/cases.csv").get_data(as_text=True)
    assert spread["lvchang"] in csv and spread["hzl24"] not in csv
    stats = community.get("/api/stats").get_json()
    assert stats["open_total"] == 1 and stats["scope"] == "community:tbbl"
    assert [u["code"] for u in stats["units"]] == ["lvchang"]
    opinions = community.get("/admin/opinions").get_data(as_text=True)
    assert "铝厂电梯" in opinions and "互助停车" not in opinions
    org = community.get("/admin/org").get_data(as_text=True)
    assert "铝厂一网格" in org and "互助路24号院" not in org and "林山寨街道" not in org
    overview = community.get("/admin/").get_data(as_text=True)
    assert "互助路" not in overview.split('id="chart-data"')[0]
    open311 = community.get("/open311/v2/requests.json").get_json()
    assert [r["service_request_id"] for r in open311] == [spread["lvchang"]]
