"""Masked by default; revealing one value is an explicit, reasoned, audited action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import make_user
from wuyi.accounts.models import AuditEvent, Role
from wuyi.accounts.reveal import RevealError, reveal
from wuyi.people.masking import mask_id_number, mask_phone, mask_record


def test_masks_keep_the_region_and_the_last_digits():
    assert mask_id_number("14010519900101123X") == "140105********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_record({"phone": "13812345678", "x": {"id_number": "14010519900101123X"}}) == {
        "phone": "138****5678",
        "x": {"id_number": "140105********123X"},
    }


def test_the_household_page_shows_id_numbers_and_phones_masked(city, grid_worker, client):
    client.force_login(grid_worker)
    page = client.get(reverse("territory:node", args=[city.home1.pk])).content.decode()
    assert city.alice.id_number not in page
    assert mask_id_number(city.alice.id_number) in page
    assert "13812345678" not in page
    assert "138****5678" in page


def test_a_grid_worker_reveals_a_phone_in_their_grid_and_it_is_audited(city, grid_worker, client):
    client.force_login(grid_worker)
    url = reverse("accounts:reveal", args=["people.resident", city.alice.pk, "phone"])
    assert "事由" in client.get(url).content.decode()
    response = client.post(url, {"reason": "电话通知复核结果"})
    assert response.status_code == 200
    assert "13812345678" in response.content.decode()
    event = AuditEvent.objects.get(action="reveal")
    assert (event.actor_name, event.model, event.object_pk) == (
        "gw_a",
        "people.resident",
        str(city.alice.pk),
    )
    assert event.reason == "电话通知复核结果"
    assert event.after == {"field": "phone"}
    assert "13812345678" not in str(event.before) + str(event.after)


def test_a_reveal_without_a_reason_is_refused_and_not_logged(city, grid_worker, client):
    client.force_login(grid_worker)
    url = reverse("accounts:reveal", args=["people.resident", city.alice.pk, "id_number"])
    response = client.post(url, {"reason": " "})
    assert response.status_code == 403
    assert city.alice.id_number not in response.content.decode()
    assert not AuditEvent.objects.filter(action="reveal").exists()


def test_a_record_outside_the_scope_cannot_be_revealed(city, grid_worker, client):
    client.force_login(grid_worker)
    url = reverse("accounts:reveal", args=["people.resident", city.bob.pk, "phone"])
    response = client.post(url, {"reason": "想看看别人的"})
    assert response.status_code == 404
    assert "13987654321" not in response.content.decode()
    assert not AuditEvent.objects.filter(action="reveal").exists()


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.BUILDING_CAPTAIN, Role.RESIDENT])
def test_roles_that_do_not_need_full_values_cannot_reveal(city, role):
    user = make_user("u", role, node=city.home1)
    with pytest.raises(RevealError, match="无权"):
        reveal(user, "people.resident", city.alice.pk, "phone", "我想看看")


def test_only_registered_fields_can_be_revealed(city, grid_worker):
    with pytest.raises(RevealError):
        reveal(grid_worker, "people.resident", city.alice.pk, "code_token", "二维码补打")


def test_the_reveal_api_returns_the_value_and_logs_it(city, grid_worker, client):
    client.force_login(grid_worker)
    body = {"model": "people.resident", "pk": city.alice.pk, "field": "id_number"}
    response = client.post(
        "/api/v1/reveal", {**body, "reason": "核对身份证件"}, content_type="application/json"
    )
    assert response.json() == {"value": city.alice.id_number}
    outside = client.post(
        "/api/v1/reveal",
        {**body, "pk": city.bob.pk, "reason": "核对身份证件"},
        content_type="application/json",
    )
    assert outside.status_code == 404
    assert city.bob.id_number not in outside.content.decode()
    assert AuditEvent.objects.filter(action="reveal").count() == 1
