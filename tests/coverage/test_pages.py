"""The coverage pages through the test client: scoped, masked, and doing what they say."""

from __future__ import annotations

import datetime as dt
import io
import re

from django.core import signing
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import City, make_user
from wuyi.accounts.models import Role
from wuyi.coverage.models import DoorKnock, DoorNote, Exemption, NoteSource, NoteStatus
from wuyi.coverage.views import DOOR_SALT


def test_the_grid_round_view_lists_the_grids_households_with_missing_first(
    client, city, rnd, grid_worker
):
    neighbour = City.resident("王刚", city.home1, "140105", dt.date(1978, 1, 1), 13, "M")
    home3 = city.home1.parent.children.create(
        kind="household",
        name="102",
        code="H0102",
        path=city.unit1.path + ".H0102",
        depth=city.home1.depth,
        district_code="140105",
        grid=city.grid_a,
    )
    done = City.resident("赵敏", home3, "140105", dt.date(1985, 1, 1), 14, "F")
    rnd.sample(done)
    rnd.sample(neighbour)
    client.force_login(grid_worker)
    response = client.get(reverse("coverage:grid", args=[rnd.round.code, city.grid_a.code]))
    assert response.status_code == 200
    households = response.context["households"]
    assert [h.name for h in households] == ["101", "102"]  # 101 still has 张丽 missing
    page = response.content.decode()
    assert "张丽 未采样" in page and "李强" not in page
    assert 'hx-trigger="every 30s"' in page


def test_htmx_polling_gets_only_the_body(client, city, rnd, grid_worker):
    client.force_login(grid_worker)
    response = client.get(
        reverse("coverage:grid", args=[rnd.round.code, city.grid_a.code]), HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="grid-body"') and "<html" not in page


def test_another_grid_and_its_households_are_not_found(client, city, rnd, grid_worker):
    client.force_login(grid_worker)
    assert (
        client.get(reverse("coverage:grid", args=[rnd.round.code, city.grid_b.code])).status_code
        == 404
    )
    assert (
        client.get(reverse("coverage:household", args=[rnd.round.code, city.home2.pk])).status_code
        == 404
    )
    response = client.post(
        reverse("coverage:knock", args=[rnd.round.code, city.home2.pk]), {"result": "nobody_home"}
    )
    assert response.status_code == 404 and DoorKnock.objects.count() == 0


def test_the_household_page_shows_sampled_time_and_site_and_masks_phones(
    client, city, rnd, grid_worker
):
    rnd.sample(city.alice, dt.datetime(2022, 4, 10, 1, 30, tzinfo=dt.UTC))
    client.force_login(grid_worker)
    page = client.get(
        reverse("coverage:household", args=[rnd.round.code, city.home1.pk])
    ).content.decode()
    assert "已采样 04-10 09:30 光华街社区广场采样点" in page  # shown in Asia/Shanghai
    assert "13812345678" not in page and "138****5678" in page


def test_a_door_knock_is_recorded_from_the_household_page(client, city, rnd, grid_worker):
    client.force_login(grid_worker)
    url = reverse("coverage:knock", args=[rnd.round.code, city.home1.pk])
    response = client.post(
        url, {"result": "refused", "resident": city.alice.pk, "note": "明天再来"}, follow=True
    )
    assert "已记录:拒绝采样" in response.content.decode()
    knock = DoorKnock.objects.get()
    assert (knock.resident, knock.result, knock.recorded_by) == (city.alice, "refused", grid_worker)


def test_a_door_knock_error_is_shown_and_nothing_is_saved(client, city, rnd, grid_worker):
    client.force_login(grid_worker)
    url = reverse("coverage:knock", args=[rnd.round.code, city.home1.pk])
    response = client.post(
        url, {"result": "sampled_elsewhere", "resident": city.alice.pk}, follow=True
    )
    assert "需要填写采样地点" in response.content.decode()
    assert DoorKnock.objects.count() == 0


def test_a_building_captain_cannot_record_door_knocks(client, city, rnd):
    captain = make_user("captain", Role.BUILDING_CAPTAIN, node=city.building1)
    client.force_login(captain)
    url = reverse("coverage:knock", args=[rnd.round.code, city.home1.pk])
    assert client.post(url, {"result": "nobody_home"}).status_code == 404


def test_the_grid_worker_checks_a_door_note_on_the_households_behalf(
    client, city, rnd, grid_worker
):
    client.force_login(grid_worker)
    url = reverse("coverage:note", args=[rnd.round.code, city.home1.pk])
    response = client.post(url, {"reported_count": "1", "all_sampled": "on"}, follow=True)
    page = response.content.decode()
    assert "不一致,需上门核实" in page and "门贴称张*已采样,但本轮没有其采样记录" in page
    assert DoorNote.objects.get().source == NoteSource.GRID_WORKER


def test_a_resident_reports_their_own_households_note(client, city, rnd):
    rnd.sample(city.alice)
    resident = make_user("alice", Role.RESIDENT, node=city.home1)
    client.force_login(resident)
    url = reverse("coverage:note", args=[rnd.round.code, city.home1.pk])
    client.post(url, {"reported_count": "1", "all_sampled": "on"})
    note = DoorNote.objects.get()
    assert note.source == NoteSource.RESIDENT and note.status == NoteStatus.CONFIRMED


def test_the_door_qr_page_takes_a_note_without_login_and_reveals_nothing(client, city, rnd):
    token = signing.dumps([rnd.round.pk, city.home1.pk], salt=DOOR_SALT)
    url = reverse("coverage:door", args=[token])
    page = client.get(url).content.decode()
    assert "张丽" not in page
    response = client.post(url, {"reported_count": "2", "all_sampled": "on"})
    assert "已收到" in response.content.decode() and "张丽" not in response.content.decode()
    note = DoorNote.objects.get()
    assert note.source == NoteSource.DOOR_QR and note.status == NoteStatus.VISIT
    assert client.get(reverse("coverage:door", args=["forged"])).status_code == 404


def test_the_missed_list_is_in_stair_order_masked_and_exports_to_excel(client, city, rnd):
    upstairs = city.unit1.children.create(
        kind="household",
        name="501",
        code="H0501",
        path=city.unit1.path + ".H0501",
        depth=city.home1.depth,
        district_code="140105",
        grid=city.grid_a,
    )
    City.resident("钱五", upstairs, "140105", dt.date(1960, 1, 1), 15, "M", phone="13700001111")
    office = make_user("office", Role.COMMUNITY_OFFICE, node=city.community)
    client.force_login(office)
    url = reverse("coverage:missed_node", args=[rnd.round.code, city.compound.pk])
    response = client.get(url)
    assert [r.name for r in response.context["rows"]] == ["张丽", "钱五", "李强"]
    page = response.content.decode()
    assert "13700001111" not in page and "137****1111" in page
    assert city.alice.id_number not in page
    export = client.get(url + "?format=xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:4] == ("楼栋", "单元", "门牌", "姓名")
    assert [r[3] for r in rows[2:]] == ["张丽", "钱五", "李强"]
    assert rows[2][6] == city.alice.id_number[:6] + "********" + city.alice.id_number[-4:]


def test_the_missed_list_and_its_export_follow_the_language_chosen(client, city, rnd):
    """Headers, gender and flags in English for an office that chose English."""
    city.alice.elderly_alone = city.alice.no_smartphone = True
    city.alice.save()
    client.force_login(make_user("office", Role.COMMUNITY_OFFICE, node=city.community))
    url = reverse("coverage:missed_node", args=[rnd.round.code, city.compound.pk])
    sheet = load_workbook(io.BytesIO(client.get(url + "?format=xlsx").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:5] == ("楼栋", "单元", "门牌", "姓名", "性别")
    assert rows[2][3:5] == ("张丽", "女") and rows[2][8] == "独居老人、无智能手机"

    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Elderly, living alone" in client.get(url).content.decode()
    workbook = load_workbook(io.BytesIO(client.get(url + "?format=xlsx").content))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert workbook.active.title == "Missed list"
    assert rows[1] == (
        "Building",
        "Unit",
        "Door",
        "Name",
        "Gender",
        "Year of birth",
        "ID number",
        "Phone",
        "Special needs",
        "Last door knock",
    )
    assert rows[2][3:5] == ("张丽", "Female")
    assert rows[2][8] == "Elderly, living alone, No smartphone"


def test_the_grid_missed_list_holds_only_the_grid(client, city, rnd, grid_worker):
    client.force_login(grid_worker)
    response = client.get(reverse("coverage:missed_grid", args=[rnd.round.code, city.grid_a.code]))
    assert [r.name for r in response.context["rows"]] == ["张丽"]


def test_the_node_page_drills_down_to_children(client, city, rnd):
    rnd.sample(city.bob)
    office = make_user("street", Role.STREET_OFFICE, node=city.street)
    client.force_login(office)
    response = client.get(reverse("coverage:node", args=[rnd.round.code, city.compound.pk]))
    assert [(c.name, c.sampled, c.missing) for c in response.context["children"]] == [
        ("1号楼", 0, 1),
        ("2号楼", 1, 0),
    ]
    assert response.context["tally"].share == 0.5


def test_the_compound_picture_colours_units_by_coverage(client, city, rnd):
    rnd.sample(city.bob)
    office = make_user("street", Role.STREET_OFFICE, node=city.street)
    client.force_login(office)
    response = client.get(reverse("coverage:compound", args=[rnd.round.code, city.compound.pk]))
    rows = response.context["rows"]
    assert [(b.name, [c.colour for c in cells]) for b, cells in rows] == [
        ("1号楼", ["#e74c3c"]),
        ("2号楼", ["#1e8449"]),
    ]
    assert (
        reverse("coverage:node", args=[rnd.round.code, city.unit2.pk]) in response.content.decode()
    )


def test_the_street_chart_has_cumulative_shares_per_hour_from_static_echarts(client, city, rnd):
    rnd.sample(city.alice, dt.datetime(2022, 4, 10, 0, 10, tzinfo=dt.UTC))
    rnd.sample(city.bob, dt.datetime(2022, 4, 10, 2, 40, tzinfo=dt.UTC))
    office = make_user("street", Role.STREET_OFFICE, node=city.street)
    client.force_login(office)
    response = client.get(reverse("coverage:chart", args=[rnd.round.code, city.street.pk]))
    data = response.context["data"]
    assert data["communities"] == ["光华街社区"]
    assert data["hours"] == ["04-10 08:00", "04-10 10:00"]
    assert data["series"] == [[0, 0, 50.0], [1, 0, 100.0]]
    page = response.content.decode()
    assert "/static/vendor/echarts.min.js" in page
    # Nothing loaded from another host (not a search for "cdn": a CSRF token may hold it).
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_the_close_report_page_shows_milestones(client, city, rnd):
    rnd.sample(city.alice, dt.datetime(2022, 4, 10, 0, 0, tzinfo=dt.UTC))
    rnd.sample(city.bob, dt.datetime(2022, 4, 10, 6, 0, tzinfo=dt.UTC))
    office = make_user("district", Role.DISTRICT_OFFICE, node=city.district)
    client.force_login(office)
    page = client.get(
        reverse("coverage:close", args=[rnd.round.code, city.district.pk])
    ).content.decode()
    assert "达到 95%:04-10 14:00(用时 6.0 小时)" in page


def test_coverage_pages_need_a_login(client, city, rnd):
    response = client.get(reverse("coverage:grid", args=[rnd.round.code, city.grid_a.code]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_finished_households_are_chips_linking_to_the_household(client, city, rnd, grid_worker):
    rnd.sample(city.alice)
    client.force_login(grid_worker)
    response = client.get(reverse("coverage:grid", args=[rnd.round.code, city.grid_a.code]))
    assert response.context["attention"] == []
    href = reverse("coverage:household", args=[rnd.round.code, city.home1.pk])
    assert f'<a class="badge ok" href="{href}">1号楼1单元101</a>' in response.content.decode()


def test_a_grid_worker_grants_an_exemption_and_is_recorded_as_grantor(
    client, city, rnd, grid_worker
):
    client.force_login(grid_worker)
    url = reverse("coverage:exempt", args=[rnd.round.code, city.home1.pk])
    response = client.post(
        url, {"resident": city.alice.pk, "reason": "isolated", "note": "集中隔离"}, follow=True
    )
    assert "已登记免检:张丽" in response.content.decode()
    exemption = Exemption.objects.get()
    assert (exemption.reason, exemption.granted_by, exemption.note) == (
        "isolated",
        grid_worker,
        "集中隔离",
    )
    page = client.get(
        reverse("coverage:household", args=[rnd.round.code, city.home1.pk])
    ).content.decode()
    assert "已隔离或住院(集中隔离)" in page


def test_an_exemption_for_someone_of_another_household_is_refused(client, city, rnd, grid_worker):
    client.force_login(grid_worker)
    url = reverse("coverage:exempt", args=[rnd.round.code, city.home1.pk])
    response = client.post(url, {"resident": city.bob.pk, "reason": "away"}, follow=True)
    assert "请选择这户的一位居民" in response.content.decode() and not Exemption.objects.exists()


def test_the_household_page_has_the_door_qr_code(client, city, rnd, grid_worker):
    client.force_login(grid_worker)
    page = client.get(
        reverse("coverage:household", args=[rnd.round.code, city.home1.pk])
    ).content.decode()
    assert '<div class="door-qr"><svg' in page


def test_a_member_of_a_positive_pool_shows_as_pending_retest(client, city, rnd, grid_worker):
    from wuyi.testing.models import RetestTask, TaskReason

    marker = rnd.sample(city.alice)
    RetestTask.objects.create(
        round=rnd.round,
        reason=TaskReason.POSITIVE_POOL,
        source_tube=marker.first_scan.tube,
        source_scan=marker.first_scan,
        resident=city.alice,
        due_at=marker.sampled_at + dt.timedelta(hours=6),
        path=city.alice.path,
        grid=city.grid_a,
        district_code="140105",
    )
    client.force_login(grid_worker)
    response = client.get(reverse("coverage:grid", args=[rnd.round.code, city.grid_a.code]))
    [home] = response.context["attention"]
    assert home.people[0].label == "混管阳性待复核" and home.people[0].css == "bad"


def test_the_start_page_names_each_grid_with_its_community(client, city, rnd, grid_worker):
    # Grids are numbered within their community (第1网格 in every one): an office that sees
    # many tells them apart by the community beside the name.
    client.force_login(grid_worker)
    page = client.get(reverse("coverage:index")).content.decode()
    name = re.escape(city.grid_a.name)
    assert re.search(rf"<span>{name} <span class=\"muted\">光华街社区</span></span>", page)


def test_a_building_captain_is_shown_only_links_that_open(client, city, rnd):
    # The home page and the coverage pages offered a captain home-sampling and control's
    # grid list, both of which answer a captain 404.
    captain = make_user("captain2", Role.BUILDING_CAPTAIN, node=city.building1)
    client.force_login(captain)
    pages = ["/", reverse("coverage:node", args=[rnd.round.code, city.building1.pk])]
    links = set()
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200
        links |= set(re.findall(r'href="(/[^"#?]*)', response.content.decode()))
    assert reverse("control:grid") not in links
    assert reverse("coverage:home_sampling", args=[rnd.round.code]) not in links
    for link in sorted(links):
        if link.startswith(("/static/", "/accounts/logout")) or "/reveal/" in link:
            continue
        assert client.get(link).status_code in (200, 302), link
