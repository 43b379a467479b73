"""The lab devices' API: receipt and results with a lab token, all or nothing, idempotent."""

from __future__ import annotations

import io

import pytest

from tests.testing.labkit import fill, make_lab, stranger, wuyi_csv
from wuyi.testing.labs import pack_box
from wuyi.testing.models import DeviceToken, Result, RetestTask, Tube

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab():
    return make_lab()


@pytest.fixture
def token(lab):
    return DeviceToken.issue("PCR室电脑", lab=lab)[1]


def post(client, url: str, secret: str, **kwargs):
    return client.post(
        "/api/v1/lab/" + url, headers={"Authorization": f"Bearer {secret}"}, **kwargs
    )


def test_a_lab_receives_a_box_and_posts_results(client, rnd, lab, token):
    fill(rnd, "T1", [rnd.city.alice, rnd.city.bob])
    fill(rnd, "T2", [stranger(1)])
    pack_box("BOX1", ["T1", "T2"], lab=lab)
    answer = post(client, "receipts", token, data={"box": "BOX1"}, content_type="application/json")
    assert answer.status_code == 200
    assert answer.json()["received"] == 2 and answer.json()["boxes"] == ["BOX1"]
    results = {
        "results": [
            {"barcode": "T1", "outcome": "positive", "ct_orf1ab": 29.5, "ct_n": "31.2"},
            {"barcode": "T2", "outcome": "阴性", "tested_at": "2026-11-29 15:00"},
        ]
    }
    answer = post(client, "results", token, data=results, content_type="application/json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["ok"], body["applied"], body["positive"], body["retest_tasks"]) == (True, 2, 1, 2)
    assert Result.objects.get(tube__barcode="T1").source == "api"
    # The same results again change nothing.
    again = post(client, "results", token, data=results, content_type="application/json")
    assert again.json()["unchanged"] == 2 and RetestTask.objects.count() == 2


def test_a_bad_result_refuses_the_whole_request(client, rnd, lab, token):
    fill(rnd, "T1", [rnd.city.alice])
    pack_box("BOX1", ["T1"], lab=lab)
    bad = {
        "results": [
            {"barcode": "T1", "outcome": "negative"},
            {"barcode": "NOPE", "outcome": "negative"},
            {"barcode": "T1", "outcome": "maybe"},
        ]
    }
    answer = post(client, "results", token, data=bad, content_type="application/json")
    assert answer.status_code == 422
    errors = [(e["line"], e["reason"]) for e in answer.json()["errors"]]
    assert errors == [(2, "unknown_tube"), (3, "bad_outcome")]
    assert not Result.objects.exists()


def test_a_lab_uploads_a_result_file(client, rnd, lab, token):
    fill(rnd, "T1", [rnd.city.alice])
    pack_box("BOX1", ["T1"], lab=lab)
    data = wuyi_csv([("T1", "阴性", "", "")])
    data.name = "run.csv"
    answer = post(client, "result-files", token, data={"file": data})
    assert answer.status_code == 200 and answer.json()["layout"] == "wuyi"
    assert Tube.objects.get(barcode="T1").status == "resulted"
    junk = io.BytesIO(b"a,b\n1,2\n")
    junk.name = "junk.csv"
    answer = post(client, "result-files", token, data={"file": junk})
    assert answer.status_code == 422 and "表头" in answer.json()["detail"]


def test_only_an_active_lab_token_is_accepted(client, rnd, lab):
    site_secret = rnd.secret  # a sampling site's token
    assert (
        post(client, "receipts", site_secret, data={}, content_type="application/json").status_code
        == 401
    )
    token, secret = DeviceToken.issue("旧电脑", lab=lab)
    from wuyi.testing.devices import revoke

    revoke(token)
    assert (
        post(client, "receipts", secret, data={}, content_type="application/json").status_code
        == 401
    )
    assert (
        client.post(
            "/api/v1/lab/results", data={"results": []}, content_type="application/json"
        ).status_code
        == 401
    )


def test_a_receipt_that_names_nothing_is_refused(client, rnd, lab, token):
    for body in ({}, [None, None], {"barcodes": [], "boxes": []}):
        answer = post(client, "receipts", token, data=body, content_type="application/json")
        assert answer.status_code == 422, body
        assert "barcodes" in answer.json()["detail"]
