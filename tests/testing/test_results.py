"""Applying results: every reason a file is refused, all or nothing, and harmless re-uploads."""

from __future__ import annotations

import io

import pytest

from tests.testing.labkit import deliver, fill, make_lab, stranger, wuyi_csv
from wuyi.testing.labs import pack_box
from wuyi.testing.models import Result, RetestTask, Tube, TubeStatus
from wuyi.testing.result_files import ResultFile
from wuyi.testing.results import apply_results, cleared_residents, record_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab():
    return make_lab()


@pytest.fixture
def tubes(rnd, lab):
    """T1 (alice, bob) and T2, T3 (strangers), sealed, boxed and received at LAB01."""
    fill(rnd, "T1", [rnd.city.alice, rnd.city.bob])
    fill(rnd, "T2", [stranger(1), stranger(2)])
    fill(rnd, "T3", [stranger(3)])
    deliver(lab, ["T1", "T2", "T3"], "BOX1")
    return ["T1", "T2", "T3"]


def upload(lab, data: io.BytesIO, name: str = "run1.csv"):
    parsed = ResultFile(data, name)
    return apply_results(lab, parsed.rows(), source_name=name, layout=parsed.layout)


def test_a_good_file_is_applied_whole(lab, tubes):
    report = upload(
        lab, wuyi_csv([("T1", "阴性", "", ""), ("T2", "阴性", "", ""), ("T3", "阴性", "", "")])
    )
    assert report.ok and report.applied == 3 and report.negative == 3
    assert Result.objects.count() == 3
    tube = Tube.objects.get(barcode="T1")
    assert tube.status == TubeStatus.RESULTED and tube.resulted_at is not None
    assert tube.result.source == "file" and tube.result.source_name == "run1.csv"


def test_a_negative_tube_clears_its_members_for_the_round(rnd, lab, tubes):
    upload(lab, wuyi_csv([("T1", "阴性", "", "")]))
    assert set(cleared_residents(rnd.round)) == {rnd.city.alice.pk, rnd.city.bob.pk}
    assert not RetestTask.objects.exists()


def test_re_uploading_the_same_file_changes_nothing(lab, tubes):
    data = [("T1", "阳性", "28.4", "30.1"), ("T2", "阴性", "", ""), ("T3", "无效", "", "")]
    first = upload(lab, wuyi_csv(data))
    assert first.ok and first.applied == 3 and first.retest_tasks == 2 and first.resample_tasks == 1
    results_before = list(Result.objects.order_by("id").values())
    tasks_before = list(RetestTask.objects.order_by("id").values())
    again = upload(lab, wuyi_csv(data))
    assert again.ok and again.applied == 0 and again.unchanged == 3
    assert again.retest_tasks == again.resample_tasks == 0
    assert list(Result.objects.order_by("id").values()) == results_before
    assert list(RetestTask.objects.order_by("id").values()) == tasks_before


def refused(report) -> list[tuple[int, str, str]]:
    return [(e.line, e.barcode, e.reason) for e in report.errors]


def test_an_unknown_tube_refuses_the_whole_file(lab, tubes):
    report = upload(lab, wuyi_csv([("T1", "阴性", "", ""), ("NOPE", "阴性", "", "")]))
    assert not report.ok and report.applied == 0
    assert refused(report) == [(3, "NOPE", "unknown_tube")]
    # Nothing of the file was written, not even the good first row.
    assert not Result.objects.exists()
    assert Tube.objects.get(barcode="T1").status == TubeStatus.RECEIVED


def test_a_duplicate_tube_within_a_file_is_refused(lab, tubes):
    report = upload(
        lab, wuyi_csv([("T1", "阴性", "", ""), ("T2", "阴性", "", ""), ("T1", "阴性", "", "")])
    )
    assert refused(report) == [(4, "T1", "duplicate_in_file")]
    assert "第2行" in report.errors[0].message
    assert not Result.objects.exists()


def test_a_result_conflicting_with_the_stored_one_is_refused(lab, tubes):
    assert upload(lab, wuyi_csv([("T1", "阴性", "", "")])).ok
    report = upload(lab, wuyi_csv([("T2", "阴性", "", ""), ("T1", "阳性", "30", "31")]))
    assert refused(report) == [(3, "T1", "conflict")]
    assert "已有:阴性" in report.errors[0].message
    assert Result.objects.get(tube__barcode="T1").outcome == "negative"
    assert not Result.objects.filter(tube__barcode="T2").exists()
    assert not RetestTask.objects.exists()


def test_a_lab_sees_its_own_tubes_only(rnd, lab, tubes):
    other = make_lab("LAB02", "第二实验室")
    fill(rnd, "T9", [stranger(9)])
    deliver(other, ["T9"], "BOX9")
    report = upload(lab, wuyi_csv([("T1", "阴性", "", ""), ("T9", "阴性", "", "")]))
    assert refused(report) == [(3, "T9", "other_lab")]
    # The other lab cannot report LAB01's tubes either, nor a row naming another lab.
    report = upload(other, wuyi_csv([("T9", "阴性", "", "", "LAB01")], lab_column=True))
    assert refused(report) == [(2, "T9", "other_lab")]
    assert not Result.objects.exists()


def test_a_tube_not_yet_sent_to_the_lab_is_refused(rnd, lab, tubes):
    fill(rnd, "T7", [stranger(7)], seal=False)  # still open at the desk
    fill(rnd, "T8", [stranger(8)])  # sealed, never boxed or received
    report = upload(lab, wuyi_csv([("T7", "阴性", "", ""), ("T8", "阴性", "", "")]))
    assert refused(report) == [(2, "T7", "not_received"), (3, "T8", "not_received")]


def test_a_boxed_tube_is_received_by_its_result(rnd, lab, tubes):
    fill(rnd, "T6", [stranger(6)])
    pack_box("BOX6", ["T6"], lab=lab)
    report = upload(lab, wuyi_csv([("T6", "阴性", "", "")]))
    assert report.ok
    tube = Tube.objects.get(barcode="T6")
    assert tube.lab == lab and tube.received_at is not None


def test_every_bad_row_is_reported_and_none_applied(lab, tubes):
    data = io.BytesIO(
        (
            "试管条码,检测结果,ORF1ab Ct,N Ct,检测时间\n"
            "T1,阴性,,,2026-11-29 14:00\n"
            ",阴性,,,\n"
            "T2,也许,,,\n"
            "T3,阳性,九十,,\n"
            "X1,阴性,,,\n"
        ).encode()
    )
    report = upload(lab, data)
    assert refused(report) == [
        (3, "", "missing_barcode"),
        (4, "T2", "bad_outcome"),
        (5, "T3", "bad_ct"),
        (6, "X1", "unknown_tube"),
    ]
    assert report.error_count == 4 and report.rows == 5
    assert not Result.objects.exists()


def test_refusals_in_a_later_chunk_roll_back_the_chunks_already_written(lab, tubes, monkeypatch):
    monkeypatch.setattr("wuyi.testing.results.CHUNK", 1)
    report = upload(
        lab, wuyi_csv([("T1", "阳性", "30", "31"), ("T2", "阴性", "", ""), ("ZZ", "阴性", "", "")])
    )
    assert refused(report) == [(4, "ZZ", "unknown_tube")]
    assert not Result.objects.exists() and not RetestTask.objects.exists()
    assert Tube.objects.filter(status=TubeStatus.RESULTED).count() == 0


def test_a_file_of_many_tubes_goes_through_the_bulk_statements(rnd, lab, tubes, monkeypatch):
    # More tubes a chunk than bulk_sql.FEW: on PostgreSQL the reads, the insert and the
    # tube update each go as one array a column (the three-tube files above do not).
    monkeypatch.setattr("wuyi.testing.results.CHUNK", 12)
    barcodes = [f"M{n:02d}" for n in range(20)]
    for n, barcode in enumerate(barcodes):
        fill(rnd, barcode, [stranger(20 + n)])
    deliver(lab, barcodes[:15], "BOXM")
    pack_box("BOXN", barcodes[15:], lab=lab)  # boxed for this lab, never scanned in
    rows = [(b, "阴性", "", "") for b in barcodes]
    rows[3] = ("M03", "阳性", "28.4", "30.1")
    rows[17] = ("M17", "无效", "", "")
    first = upload(lab, wuyi_csv(rows))
    assert first.ok and first.applied == 20 and first.positive == 1 and first.invalid == 1
    assert first.retest_tasks == 1 and first.resample_tasks == 1
    resulted = Tube.objects.filter(barcode__in=barcodes, status=TubeStatus.RESULTED)
    assert resulted.count() == 20 and not resulted.filter(resulted_at=None).exists()
    assert resulted.filter(lab=lab, received_at__isnull=False).count() == 20
    positive = Result.objects.get(tube__barcode="M03")
    assert (positive.outcome, str(positive.ct_orf1ab), str(positive.ct_n)) == (
        "positive",
        "28.40",
        "30.10",
    )
    assert positive.district_code == Tube.objects.get(barcode="M03").district_code
    again = upload(lab, wuyi_csv(rows))
    assert again.ok and again.applied == 0 and again.unchanged == 20
    rows[3] = ("M03", "阳性", "28.5", "30.1")
    conflict = upload(lab, wuyi_csv(rows))
    assert refused(conflict) == [(5, "M03", "conflict")]
    assert "ORF1ab 28.40" in conflict.errors[0].message
    assert "ORF1ab 28.5" in conflict.errors[0].message


def test_a_hand_entry_follows_the_same_rules(lab, tubes, admin_user):
    report = record_result(lab, " T1 ", "negative", user=admin_user)
    assert report.ok and report.applied == 1
    result = Result.objects.get(tube__barcode="T1")
    assert (result.source, result.entered_by) == ("hand", admin_user)
    again = record_result(lab, "T1", "positive")
    assert not again.ok and again.errors[0].reason == "conflict"
    assert record_result(lab, "T1", "negative").unchanged == 1
