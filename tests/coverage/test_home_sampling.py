"""Home-sampling requests: listed under the user's grants, worked to done or cancelled."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.conftest import make_user
from wuyi.accounts.models import Action, AuditEvent, Role
from wuyi.coverage.door_knocking import record
from wuyi.coverage.home_sampling import HomeSamplingError, cancel, mark_done, request_rows
from wuyi.coverage.models import Exemption, HomeSamplingRequest, HomeSamplingStatus, KnockResult
from wuyi.coverage.rollup import node_tally
from wuyi.testing.models import RoundStatus, SamplingSite, TestingRound, Tube


@pytest.fixture
def requests(city, rnd, grid_worker):
    """Both residents bedridden: 张丽 in grid A (1号楼), 李强 in grid B (2号楼)."""
    record(rnd.round, city.home1, KnockResult.BEDRIDDEN, grid_worker, city.alice)
    worker_b = make_user("gw_b", Role.GRID_WORKER, grid=city.grid_b)
    record(rnd.round, city.home2, KnockResult.BEDRIDDEN, worker_b, city.bob)
    return (
        HomeSamplingRequest.objects.get(resident=city.alice),
        HomeSamplingRequest.objects.get(resident=city.bob),
    )


def _list(client, rnd, **params):
    return client.get(reverse("coverage:home_sampling", args=[rnd.round.code]), params)


def _close(client, rnd, request, **data):
    url = reverse("coverage:home_sampling_close", args=[rnd.round.code, request.pk])
    return client.post(url, data)


def test_an_office_sees_every_open_request_in_stair_order_masked(
    client, city, rnd, requests, city_office
):
    client.force_login(city_office)
    response = _list(client, rnd)
    rows = response.context["rows"]
    assert [(r.name, r.building, r.unit, r.room) for r in rows] == [
        ("张丽", "1号楼", "1单元", "101"),
        ("李强", "2号楼", "1单元", "101"),
    ]
    page = response.content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert city.alice.id_number not in page
    assert "查看完整电话" in page  # offices may reveal, logged


def test_a_grid_worker_sees_only_their_grids_requests(client, city, rnd, requests, grid_worker):
    client.force_login(grid_worker)
    response = _list(client, rnd)
    assert [r.name for r in response.context["rows"]] == ["张丽"]
    assert "李强" not in response.content.decode()
    # Narrowing to a grid outside the grants is "not found", not an empty list.
    assert _list(client, rnd, grid=city.grid_b.code).status_code == 404


def test_a_grid_worker_cannot_close_another_grids_request(client, city, rnd, requests, grid_worker):
    client.force_login(grid_worker)
    _alice, bob = requests
    response = _close(client, rnd, bob, action="done", tube_barcode="T0000001")
    assert response.status_code == 404
    bob.refresh_from_db()
    assert bob.status == HomeSamplingStatus.OPEN and bob.closed_at is None


def test_roles_that_do_not_work_requests_are_refused(client, city, rnd, requests):
    for role, scope in (
        (Role.BUILDING_CAPTAIN, {"node": city.building1}),
        (Role.VOLUNTEER, {"grid": city.grid_a}),
        (Role.RESIDENT, {"node": city.home1}),
    ):
        client.force_login(make_user(f"u_{role}", role, **scope))
        assert _list(client, rnd).status_code == 404
        assert _close(client, rnd, requests[0], action="cancel", reason="不需要").status_code == 404
    assert HomeSamplingRequest.objects.filter(status=HomeSamplingStatus.OPEN).count() == 2


def test_marking_done_with_a_barcode_records_who_when_and_the_tube(
    client, city, rnd, requests, grid_worker
):
    client.force_login(grid_worker)
    alice, _bob = requests
    response = _close(client, rnd, alice, action="done", tube_barcode=" T1234567 ")
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.status == HomeSamplingStatus.DONE and alice.tube_barcode == "T1234567"
    assert alice.closed_by == grid_worker and alice.closed_at is not None
    event = AuditEvent.objects.get(model="coverage.homesamplingrequest", action=Action.STATUS)
    assert event.before["status"] == "open" and event.after["status"] == "done"
    # Off the open list, on the worked one; the visit is not a scan: still exempt.
    assert _list(client, rnd).context["rows"] == []
    closed = _list(client, rnd, status="closed").context["rows"]
    assert [(r.name, r.tube_barcode, r.closed_by) for r in closed] == [("张丽", "T1234567", "gw_a")]
    assert node_tally(rnd.round, city.building1).exempt == {"bedridden": 1}


def test_marking_done_with_a_note_instead_of_a_barcode(city, rnd, requests, grid_worker):
    done = mark_done(requests[0], grid_worker, note="条码随样本箱送检,稍后补录")
    assert done.status == HomeSamplingStatus.DONE and done.tube_barcode == ""


@pytest.mark.parametrize(
    ("barcode", "note", "message"),
    [
        ("", "", "请填写试管条码"),
        ("T1", "", "格式不对"),
        ("T123 456", "", "格式不对"),
        ("", "x" * 201, "最多200字"),
    ],
)
def test_bad_input_for_done_is_refused_and_changes_nothing(
    city, rnd, requests, grid_worker, barcode, note, message
):
    with pytest.raises(HomeSamplingError, match=message):
        mark_done(requests[0], grid_worker, barcode, note)
    requests[0].refresh_from_db()
    assert requests[0].status == HomeSamplingStatus.OPEN
    assert not AuditEvent.objects.filter(action=Action.STATUS).exists()


def test_a_tube_of_another_round_is_refused(city, rnd, requests, grid_worker):
    earlier = TestingRound.objects.create(
        code="R0",
        name="上一轮",
        status=RoundStatus.CLOSED,
        start_date=dt.date(2022, 4, 1),
        end_date=dt.date(2022, 4, 1),
    )
    Tube.objects.create(
        barcode="OLD00001",
        round=earlier,
        site=SamplingSite.objects.get(code="S01"),
        pool_size=10,
        capacity=10,
        opened_at=dt.datetime(2022, 4, 1, tzinfo=dt.UTC),
        path=city.community.path,
        district_code="140105",
    )
    with pytest.raises(HomeSamplingError, match="属于另一轮次"):
        mark_done(requests[0], grid_worker, "OLD00001")
    assert HomeSamplingRequest.objects.get(pk=requests[0].pk).status == HomeSamplingStatus.OPEN


def test_a_closed_request_cannot_be_closed_again(city, rnd, requests, grid_worker):
    mark_done(requests[0], grid_worker, "T7654321")
    with pytest.raises(HomeSamplingError, match="已是“已上门采样”"):
        cancel(requests[0], grid_worker, "家属拒绝")
    assert HomeSamplingRequest.objects.get(pk=requests[0].pk).tube_barcode == "T7654321"


def test_cancelling_needs_a_reason(client, city, rnd, requests, grid_worker):
    client.force_login(grid_worker)
    response = _close(client, rnd, requests[0], action="cancel", reason=" ")
    assert response.status_code == 302
    assert HomeSamplingRequest.objects.get(pk=requests[0].pk).status == HomeSamplingStatus.OPEN
    page = client.get(response["Location"]).content.decode()
    assert "请填写取消原因" in page


def test_an_unknown_action_is_an_error_not_a_change(client, city, rnd, requests, grid_worker):
    client.force_login(grid_worker)
    _close(client, rnd, requests[0], action="delete")
    assert HomeSamplingRequest.objects.get(pk=requests[0].pk).status == HomeSamplingStatus.OPEN


def test_cancelling_keeps_the_exemption_unless_asked_to_lift_it(city, rnd, requests, grid_worker):
    alice, bob = requests
    cancel(alice, grid_worker, "已住院")
    assert Exemption.objects.filter(resident=city.alice, reason="bedridden").exists()
    worker_b = make_user("gw_b2", Role.GRID_WORKER, grid=city.grid_b)
    cancelled = cancel(bob, worker_b, "已能下床,自行前往采样点", lift_exemption=True)
    assert cancelled.status == HomeSamplingStatus.CANCELLED
    assert cancelled.outcome_note == "已能下床,自行前往采样点"
    assert not Exemption.objects.filter(resident=city.bob).exists()
    assert node_tally(rnd.round, city.building2).missing == 1  # back among those to sample
    assert AuditEvent.objects.filter(model="coverage.exemption", action=Action.DELETE).exists()


def test_htmx_gets_the_worked_row_back_or_the_error_in_it(client, city, rnd, requests, grid_worker):
    client.force_login(grid_worker)
    alice, _bob = requests
    response = client.post(
        reverse("coverage:home_sampling_close", args=[rnd.round.code, alice.pk]),
        {"action": "done", "tube_barcode": "bad code!"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200 and page.startswith(f'<li id="hsr-{alice.pk}"')
    assert "格式不对" in page and "<html" not in page
    response = client.post(
        reverse("coverage:home_sampling_close", args=[rnd.round.code, alice.pk]),
        {"action": "done", "tube_barcode": "T2222222"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert "已上门采样" in page and "T2222222" in page and "tube_barcode" not in page


def test_rows_carry_the_household_for_the_link(city, rnd, requests):
    rows = request_rows(HomeSamplingRequest.objects.filter(pk=requests[0].pk))
    assert rows[0].household_id == city.home1.pk and rows[0].is_open


def test_the_grid_and_node_pages_link_to_home_sampling(client, city, rnd, grid_worker):
    client.force_login(grid_worker)
    page = client.get(
        reverse("coverage:grid", args=[rnd.round.code, city.grid_a.code])
    ).content.decode()
    link = reverse("coverage:home_sampling", args=[rnd.round.code])
    assert f'href="{link}?grid={city.grid_a.code}"' in page
    page = client.get(
        reverse("coverage:node", args=[rnd.round.code, city.building1.pk])
    ).content.decode()
    assert f'href="{link}?node={city.building1.pk}"' in page
    response = _list(client, rnd, grid=city.grid_a.code)
    assert response.status_code == 200 and response.context["grid"] == city.grid_a
