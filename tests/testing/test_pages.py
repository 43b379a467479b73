"""Sampling codes, household cards and the sampling page's session endpoint."""

from __future__ import annotations

import json
import uuid

import pytest
import segno  # noqa: F401  (the codes are made with it)
from django.urls import reverse

from tests.conftest import make_user
from wuyi.accounts.models import Grant, Role, User
from wuyi.testing import codes
from wuyi.testing.models import Scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(rnd) -> User:
    user = User.objects.create_user(username="caiyang", password="correct horse battery 9")
    Grant.objects.create(user=user, role=Role.SITE_STAFF, site=rnd.site)
    return user


def test_a_residents_code_carries_the_token_and_never_the_id_number(city):
    text = codes.code_text(city.alice)
    assert text == "WY1:" + city.alice.code_token
    assert city.alice.id_number not in text
    assert codes.token_from_text(text) == city.alice.code_token
    assert codes.token_from_text(city.alice.id_number) is None
    assert codes.qr_svg(city.alice).startswith("<svg")


def test_a_grid_worker_prints_the_household_card_of_a_household_in_their_grid(
    client, city, grid_worker
):
    client.force_login(grid_worker)
    response = client.get(f"/testing/households/{city.home1.pk}/card")
    assert response.status_code == 200
    page = response.content.decode()
    assert "张丽" in page and page.count("<svg") == 1
    assert city.alice.id_number not in page  # masked
    assert city.alice.id_number[:6] + "********" + city.alice.id_number[-4:] in page


def test_a_household_outside_ones_grants_is_not_found(client, city, grid_worker):
    client.force_login(grid_worker)
    assert client.get(f"/testing/households/{city.home2.pk}/card").status_code == 404
    assert client.get(f"/testing/residents/{city.bob.pk}/code").status_code == 404


def test_a_resident_sees_their_own_code(client, city):
    user = make_user("alice", Role.RESIDENT, node=city.home1)
    client.force_login(user)
    response = client.get(f"/testing/residents/{city.alice.pk}/code")
    assert response.status_code == 200
    assert "<svg" in response.content.decode()


def test_the_sampling_page_offers_the_staff_members_site_and_its_rounds(client, rnd, staff):
    client.force_login(staff)
    response = client.get("/testing/sampling/")
    assert response.status_code == 200
    config = response.context["config"]
    assert [s["code"] for s in config["sites"]] == ["S1"]
    assert [r["code"] for r in config["rounds"]] == ["R1", "R2"]
    assert [d["code"] for d in config["sites"][0]["desks"]] == ["D1", "D2"]


def test_the_sampling_endpoint_binds_for_the_staff_members_site_only(client, rnd, staff):
    client.force_login(staff)
    events = [rnd.event(token=rnd.city.alice.code_token), rnd.event(site="S2", token="x")]
    response = client.post(
        "/testing/sampling/scans", json.dumps({"events": events}), content_type="application/json"
    )
    assert response.status_code == 200
    answers = response.json()["answers"]
    assert [a["status"] for a in answers] == ["accepted", "rejected"]
    assert answers[1]["reason"] == "wrong_site"


def test_refusals_are_worded_in_the_language_the_staff_member_chose(client, rnd, staff):
    client.force_login(staff)
    events = [rnd.event(id_number="12345"), rnd.event(site="S2", token="x")]

    def messages() -> list[str]:
        response = client.post(
            "/testing/sampling/scans",
            json.dumps({"events": [dict(e, event_id=str(uuid.uuid4())) for e in events]}),
            content_type="application/json",
        )
        return [a["message"] for a in response.json()["answers"]]

    assert messages() == ["证件号码格式错误", "本设备或账号无权提交该采样点的数据"]
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert messages() == [
        "Malformed ID number",
        "This device or account may not post for this sampling site",
    ]


def test_the_sampling_endpoint_refuses_users_without_a_site_grant(client, rnd, grid_worker):
    client.force_login(grid_worker)
    body = json.dumps({"events": [rnd.event(token=rnd.city.alice.code_token)]})
    response = client.post("/testing/sampling/scans", body, content_type="application/json")
    assert response.status_code == 403
    assert not Scan.objects.exists()


def test_the_sampling_endpoint_refuses_anonymous_posts(client, rnd):
    body = json.dumps({"events": [rnd.event(token=rnd.city.alice.code_token)]})
    response = client.post("/testing/sampling/scans", body, content_type="application/json")
    assert response.status_code == 401


def test_the_sampling_endpoint_says_what_is_wrong_with_a_bad_body(client, rnd, staff):
    client.force_login(staff)
    response = client.post("/testing/sampling/scans", "[1,2]", content_type="application/json")
    assert response.status_code == 400
    assert "events" in response.json()["detail"]


def test_the_follow_up_list_shows_unregistered_persons_at_the_users_sites_masked(
    client, rnd, staff
):
    from tests.testing.test_ingest import stranger
    from wuyi.testing.ingest import ingest_one

    number = stranger(7)
    ingest_one(rnd.event(id_number=number, name="赵六", phone="13700002222"))
    ingest_one(rnd.event("T9", site="S2", desk="D1", id_number=stranger(8), name="钱七"))
    client.force_login(staff)
    page = client.get("/testing/rounds/R1/follow-up").content.decode()
    assert "赵六" in page and "钱七" not in page  # S2 is not the staff member's site
    assert number not in page and number[-4:] in page
    assert "13700002222" not in page and "137****2222" in page
