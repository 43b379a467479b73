"""Transport boxes, handovers and lab receipt; tubes overdue against the round's limits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.testing.labkit import fill, make_lab, stranger
from wuyi.testing.labs import (
    LabError,
    hand_to_transport,
    overdue_tubes,
    pack_box,
    receive_box,
    receive_tubes,
)
from wuyi.testing.models import Tube, TubeStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab():
    return make_lab()


def test_a_box_goes_from_site_to_transport_to_lab_with_each_handover_timed(rnd, lab):
    fill(rnd, "T1", [rnd.city.alice])
    fill(rnd, "T2", [rnd.city.bob])
    box = pack_box("BOX1", ["T1", "T2"])
    assert box.status == "packing" and box.round == rnd.round and box.site == rnd.site
    with pytest.raises(LabError, match="未指定送往的实验室"):
        hand_to_transport(box, "王师傅")
    box = hand_to_transport(box, "王师傅", lab=lab)
    assert box.status == "in_transit" and box.handed_to_transport_at is not None
    assert set(Tube.objects.values_list("status", flat=True)) == {TubeStatus.IN_TRANSIT}
    box, report = receive_box(lab, "BOX1", "李老师")
    assert box.status == "received" and box.received_by == "李老师"
    assert sorted(report.received) == ["T1", "T2"]
    assert set(Tube.objects.values_list("status", "lab")) == {(TubeStatus.RECEIVED, lab.pk)}
    # Receiving again changes nothing.
    _, again = receive_box(lab, "BOX1")
    assert again.received == [] and sorted(again.already) == ["T1", "T2"]


def test_a_box_refuses_open_unknown_boxed_or_mixed_tubes_and_is_not_made(rnd, lab):
    fill(rnd, "T1", [rnd.city.alice])
    fill(rnd, "T2", [rnd.city.bob], seal=False)
    fill(rnd, "T3", [stranger(3)], site="S2")
    with pytest.raises(LabError) as caught:
        pack_box("BOX1", ["T1", "T2", "NOPE", "T3"])
    message = str(caught.value)
    assert "T2:尚未封管" in message and "NOPE:系统中没有这个试管" in message
    assert "同一采样点" in message
    pack_box("BOX2", ["T1"])
    with pytest.raises(LabError, match="T1:已装入其他转运箱"):
        pack_box("BOX3", ["T1"])
    with pytest.raises(LabError, match="已存在"):
        pack_box("BOX2", ["T3"])
    assert Tube.objects.get(barcode="T3").box is None


def test_a_lab_scans_tubes_in_and_refuses_what_is_not_its_own(rnd, lab):
    other = make_lab("LAB02", "第二实验室")
    fill(rnd, "T1", [rnd.city.alice])
    fill(rnd, "T2", [rnd.city.bob], seal=False)
    fill(rnd, "T3", [stranger(3)])
    pack_box("BOX3", ["T3"], lab=other)
    report = receive_tubes(lab, ["T1", "T1", "T2", "T3", "NOPE"])
    assert report.received == ["T1"]
    assert dict(report.rejected) == {
        "T2": "该管尚未封管",
        "T3": "该管所在转运箱是送往其他实验室的",
        "NOPE": "系统中没有这个试管",
    }
    assert receive_tubes(other, ["T1"]).rejected == [("T1", "该管已由其他实验室接收")]
    with pytest.raises(LabError, match="其他实验室"):
        receive_box(lab, "BOX3")


def test_tubes_overdue_against_the_rounds_limits_are_listed(rnd, lab):
    fill(rnd, "LATE", [rnd.city.alice])
    fill(rnd, "FRESH", [rnd.city.bob])
    fill(rnd, "SLOW", [stranger(1)])
    now = timezone.now()
    Tube.objects.filter(barcode="LATE").update(sealed_at=now - dt.timedelta(hours=5))
    Tube.objects.filter(barcode="SLOW").update(sealed_at=now - dt.timedelta(hours=20))
    receive_tubes(lab, ["SLOW"], at=now - dt.timedelta(hours=13))
    found = overdue_tubes(now=now)
    assert [t.barcode for t in found.not_received] == ["LATE"]
    assert [t.barcode for t in found.no_result] == ["SLOW"]
    # A round with looser limits lists nothing yet.
    rnd.round.seal_to_receipt_hours = 6
    rnd.round.receipt_to_result_hours = 24
    rnd.round.save()
    found = overdue_tubes(now=now)
    assert not found.not_received.exists() and not found.no_result.exists()
