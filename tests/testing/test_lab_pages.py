"""Lab staff pages, the positive-pool list for grid workers, overdue tubes, pool advice."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.testing.labkit import deliver, fill, make_lab, stranger, wuyi_csv
from wuyi.accounts.models import Grant, Role, User
from wuyi.testing.models import Result, Tube
from wuyi.testing.results import record_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab():
    return make_lab()


@pytest.fixture
def lab_staff(lab):
    user = User.objects.create_user(username="lab1", password="correct horse battery 9")
    Grant.objects.create(user=user, role=Role.LAB_STAFF, lab=lab)
    return user


def test_lab_staff_upload_a_file_and_see_it_applied(client, rnd, lab, lab_staff):
    fill(rnd, "T1", [rnd.city.alice])
    fill(rnd, "T2", [rnd.city.bob])
    deliver(lab, ["T1", "T2"], "BOX1")
    client.force_login(lab_staff)
    assert "上传结果文件" in client.get(reverse("lab:home")).content.decode()
    data = wuyi_csv([("T1", "阴性", "", ""), ("T2", "阳性", "30", "31")])
    data.name = "run.csv"
    response = client.post(reverse("lab:upload"), {"file": data})
    page = response.content.decode()
    assert response.status_code == 200 and "已全部入库" in page
    assert "单管复核任务 1 人" in page


def test_a_bad_file_shows_every_refused_row_and_writes_nothing(client, rnd, lab, lab_staff):
    fill(rnd, "T1", [rnd.city.alice])
    deliver(lab, ["T1"], "BOX1")
    client.force_login(lab_staff)
    data = wuyi_csv([("T1", "阴性", "", ""), ("GHOST", "阴性", "", "")])
    data.name = "run.csv"
    response = client.post(reverse("lab:upload"), {"file": data})
    page = response.content.decode()
    assert response.status_code == 422
    assert "整份文件未入库" in page and "GHOST" in page and "系统中没有这个试管条码" in page
    assert not Result.objects.exists()
    junk = io.BytesIO(b"hello")
    junk.name = "notes.pdf"
    page = client.post(reverse("lab:upload"), {"file": junk}).content.decode()
    assert "不支持的文件类型" in page


def test_a_bad_file_is_reported_in_english_when_english_is_chosen(client, rnd, lab, lab_staff):
    fill(rnd, "T1", [rnd.city.alice])
    fill(rnd, "T2", [rnd.city.bob])
    deliver(lab, ["T1", "T2"], "BOX1")
    record_result(lab, "T2", "negative")
    client.force_login(lab_staff)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    rows = [
        ("T1", "阴性", "", ""),
        ("T1", "阴性", "", ""),  # line 3 repeats line 2
        ("GHOST", "阴性", "", ""),
        ("T2", "阳性", "30", "31"),  # T2 is stored negative
        ("T3", "阴性", "abc", ""),
    ]
    data = wuyi_csv(rows)
    data.name = "run.csv"
    response = client.post(reverse("lab:upload"), {"file": data})
    page = response.content.decode()
    assert response.status_code == 422
    assert "Format: wuyi standard layout" in page
    assert "The same tube appears more than once in the file (already on line 2)" in page
    assert "No tube with this barcode in the system" in page
    assert "Conflicts with the result already stored (stored: Negative; this file: Positive" in page
    assert "Ct value “abc” is not a number" in page
    assert not Result.objects.exclude(tube__barcode="T2").exists()
    junk = io.BytesIO(b"hello")
    junk.name = "notes.pdf"
    page = client.post(reverse("lab:upload"), {"file": junk}).content.decode()
    assert "Unsupported file type: notes.pdf (upload a .csv or .xlsx file)" in page


def test_lab_staff_receive_tubes_and_enter_a_result_by_hand(client, rnd, lab, lab_staff):
    fill(rnd, "T1", [rnd.city.alice])
    client.force_login(lab_staff)
    page = client.post(reverse("lab:receive"), {"barcodes": "T1\nNOPE"}).content.decode()
    assert "本次接收 1 管" in page and "NOPE:系统中没有这个试管" in page
    response = client.post(
        reverse("lab:enter"), {"barcode": "T1", "outcome": "negative", "ct_orf1ab": ""}
    )
    assert response.status_code == 302
    assert Result.objects.get().entered_by == lab_staff
    page = client.post(
        reverse("lab:enter"), {"barcode": "T1", "outcome": "positive"}
    ).content.decode()
    assert "与已入库的结果不一致" in page


def test_a_lab_finds_its_tube_from_first_scan_to_result(client, rnd, lab, lab_staff):
    fill(rnd, "T1", [rnd.city.alice, rnd.city.bob])
    deliver(lab, ["T1"], "BOX1")
    client.force_login(lab_staff)
    page = client.get(reverse("lab:tube"), {"barcode": "T1"}).content.decode()
    assert "已接收" in page and "2 / 10" in page and "BOX1" in page and "司机王师傅" in page
    assert "尚无结果" in page and "已超时" not in page
    timeline = client.get(reverse("lab:tube"), {"barcode": "T1"}).context["timeline"]
    assert [label for label, _ in timeline] == [
        "开管(首次采样)", "封管", "装箱", "交接转运", "实验室接收", "检测完成", "结果入库"
    ]  # fmt: skip
    assert all(moment is not None for _, moment in timeline[:5])
    assert timeline[5][1] is None and timeline[6][1] is None
    record_result(lab, "T1", "positive", ct_orf1ab=Decimal("28.5"))
    page = client.get(reverse("lab:tube"), {"barcode": "T1"}).content.decode()
    assert "阳性 · ORF1ab 28.50" in page
    assert all(moment is not None for _, moment in client.get(
        reverse("lab:tube"), {"barcode": "T1"}
    ).context["timeline"])  # fmt: skip
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("lab:tube"), {"barcode": "T1"}).content.decode()
    assert "Result in" in page and "Sealed" in page and "Positive" in page


def test_a_tube_outside_the_users_scope_is_not_found(client, rnd, lab, lab_staff, grid_worker):
    other = make_lab("LAB02", "另一家实验室")
    fill(rnd, "T1", [rnd.city.alice])
    deliver(other, ["T1"], "BOX1")
    fill(rnd, "LATE", [rnd.city.bob])
    client.force_login(lab_staff)
    response = client.get(reverse("lab:tube"), {"barcode": "T1"})
    assert response.status_code == 404
    assert "没有找到试管 T1,或它不在您的范围内" in response.content.decode()
    assert "tube" not in response.context
    client.force_login(grid_worker)
    assert client.get(reverse("lab:tube"), {"barcode": "T1"}).status_code == 403


def test_an_office_sees_a_tube_overdue_against_its_round(client, rnd, admin_user):
    fill(rnd, "LATE", [rnd.city.alice])
    Tube.objects.filter(barcode="LATE").update(sealed_at=timezone.now() - dt.timedelta(hours=5))
    client.force_login(admin_user)
    page = client.get(reverse("lab:tube"), {"barcode": "LATE"}).content.decode()
    assert "已超时" in page and "已封管" in page and "未装箱" in page
    overdue = client.get(reverse("lab:overdue")).content.decode()
    assert f"{reverse('lab:tube')}?barcode=LATE" in overdue


def test_lab_pages_are_for_lab_staff_only(client, city, grid_worker):
    make_lab()
    client.force_login(grid_worker)
    assert client.get(reverse("lab:home")).status_code == 403
    assert client.post(reverse("lab:enter"), {"barcode": "T1"}).status_code == 403
    assert client.get(reverse("lab:overdue")).status_code == 403
    client.logout()
    assert client.get(reverse("lab:home")).status_code == 302


def test_a_grid_worker_sees_the_positive_pool_members_of_their_grid_masked(
    client, rnd, lab, grid_worker
):
    fill(rnd, "P1", [rnd.city.alice, rnd.city.bob, stranger(1)])
    deliver(lab, ["P1"], "BOX1")
    record_result(lab, "P1", "positive")
    client.force_login(grid_worker)
    page = client.get(reverse("lab:positives")).content.decode()
    # Alice lives in the worker's grid; Bob (grid B) and the outsider are not theirs.
    assert "张丽" in page and "李强" not in page and "外来人员" not in page
    assert "1号楼" in page and "1单元" in page and "光华街社区" in page
    assert rnd.city.alice.id_number not in page and "138****5678" in page
    assert "临时管控" in page


def test_the_pool_plan_page_advises_a_size(client, city, grid_worker):
    client.force_login(grid_worker)
    page = client.get(reverse("lab:pool_plan"), {"prevalence": "1%", "population": "10000"})
    assert page.context["result"].best == 10
    assert "10合1混采" in page.content.decode()
    bad = client.get(reverse("lab:pool_plan"), {"prevalence": "很多"})
    assert "患病率" in bad.context["error"]


def test_the_round_page_shows_the_live_pool_rate_and_advice(client, rnd, lab, admin_user):
    for i in range(4):
        fill(rnd, f"T{i}", [stranger(10 * i + j) for j in range(10)])
    deliver(lab, [f"T{i}" for i in range(4)], "BOX1")
    for i, outcome in enumerate(["positive", "negative", "negative", "negative"]):
        record_result(lab, f"T{i}", outcome)
    client.force_login(admin_user)
    response = client.get(reverse("lab:round", args=["R1"]))
    counts = response.context["counts"]
    assert (counts.pooled_positive, counts.pooled_resulted) == (1, 4)
    assert counts.mean_pool == 10
    # A quarter of 10-person pools positive: about 2.8% prevalence, so pools of 5.
    assert response.context["advice"] == 5
    assert "5合1混采" in response.content.decode()
