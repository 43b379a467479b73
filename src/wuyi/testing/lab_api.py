"""The lab devices' API: tube receipt and results, authenticated by a lab's device token.

Mounted at ``/api/v1/lab/`` (see ``wuyi/api.py``). A token issued to a lab
(``DeviceToken.issue(name, lab=…)``) is sent as ``Authorization: Bearer wy_…``; every
route acts for that lab only. Results follow exactly the rules of a file upload
(``testing/results.py``): all or nothing, refused rows listed, re-sending is harmless.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from ninja.security import HttpBearer

from wuyi.testing import devices, labs
from wuyi.testing.api import ErrorOut
from wuyi.testing.models import DeviceToken, ResultSource
from wuyi.testing.result_files import (
    ResultFile,
    ResultFileError,
    ResultRow,
    RowError,
    parse_ct,
    parse_outcome,
    parse_time,
)
from wuyi.testing.results import apply_results

# One request of results stays well inside a request timeout; files take the rest.
MAX_RESULTS = 10_000


class LabToken(HttpBearer):
    """A lab's device token: the route acts for ``request.auth.lab``."""

    def authenticate(self, request: HttpRequest, token: str) -> DeviceToken | None:
        device = devices.authenticate(token)
        if device is None or device.lab_id is None or not device.lab.active:
            return None
        return device


router = Router(tags=["lab"], auth=LabToken())


class ReceiptIn(Schema):
    barcodes: list[str] = []
    box: str | None = None
    boxes: list[str] = []
    received_by: str = ""


class ResultIn(Schema):
    barcode: str
    outcome: str
    ct_orf1ab: float | str | None = None
    ct_n: float | str | None = None
    ct_e: float | str | None = None
    tested_at: str | None = None


class ResultsIn(Schema):
    results: list[ResultIn]


@router.post(
    "/receipts",
    response={200: dict, 400: ErrorOut, 401: ErrorOut, 422: dict},
    summary="实验室接收试管(逐管扫码或整箱接收)",
)
def receive(request, payload: ReceiptIn):
    """Receive tubes by barcode, or whole transport boxes by their codes. Idempotent.

    Boxes are received all or none: an unknown box, or one sent to another lab, refuses
    the request.
    """
    lab = request.auth.lab
    codes = [*([payload.box] if payload.box else []), *payload.boxes]
    if not codes and not payload.barcodes:
        # A body that names nothing (`{}`, or not an object at all) is a mistake of the
        # sender's, not a receipt of nothing.
        return Status(
            422, {"detail": gettext("请给出要接收的试管条码(barcodes)或转运箱号(box、boxes)")}
        )
    try:
        with transaction.atomic():
            total = labs.ReceiptReport()
            for code in codes:
                _, report = labs.receive_box(lab, code, payload.received_by)
                total.received += report.received
                total.already += report.already
                total.rejected += report.rejected
            if payload.barcodes:
                report = labs.receive_tubes(lab, payload.barcodes)
                total.received += report.received
                total.already += report.already
                total.rejected += report.rejected
    except labs.LabError as exc:
        return Status(422, {"detail": str(exc)})
    return Status(200, total.as_dict() | {"boxes": codes})


def _rows(items: list[ResultIn]):
    for line, item in enumerate(items, start=1):
        barcode = item.barcode.strip()
        outcome = parse_outcome(item.outcome)
        if outcome is None:
            yield RowError(
                line,
                barcode,
                "bad_outcome",
                gettext("检测结果“%(value)s”无法识别") % {"value": item.outcome},
            )
            continue
        try:
            cts = [parse_ct(item.ct_orf1ab), parse_ct(item.ct_n), parse_ct(item.ct_e)]
        except ValueError as exc:
            yield RowError(line, barcode, "bad_ct", str(exc))
            continue
        try:
            tested_at = parse_time(item.tested_at)
        except ValueError as exc:
            yield RowError(line, barcode, "bad_time", str(exc))
            continue
        if not barcode:
            yield RowError(line, "", "missing_barcode", gettext("缺少试管条码"))
            continue
        yield ResultRow(line, barcode, outcome, *cts, tested_at)


@router.post(
    "/results",
    response={200: dict, 400: ErrorOut, 401: ErrorOut, 422: dict},
    summary="上报检测结果(全部成功或全部不入库)",
)
def post_results(request, payload: ResultsIn):
    """Results as JSON; ``ok: false`` with every refused item (``line`` is its 1-based index)."""
    if len(payload.results) > MAX_RESULTS:
        return Status(
            422,
            {
                "detail": gettext("一次最多上报%(max)s条结果,收到%(count)s条")
                % {"max": MAX_RESULTS, "count": len(payload.results)}
            },
        )
    device = request.auth
    report = apply_results(
        device.lab,
        _rows(payload.results),
        source=ResultSource.API,
        source_name=device.name,
    )
    return Status(200 if report.ok else 422, report.as_dict())


@router.post(
    "/result-files",
    response={200: dict, 400: ErrorOut, 401: ErrorOut, 422: dict},
    summary="上传仪器导出的结果文件(CSV/Excel)",
)
def post_result_file(request, file: UploadedFile = File(...)):  # noqa: B008 (Ninja's idiom)
    """The same as the upload page: wuyi's format or an instrument export."""
    device = request.auth
    try:
        parsed = ResultFile(file.file, file.name or "")
    except ResultFileError as exc:
        return Status(422, {"ok": False, "detail": str(exc)})
    report = apply_results(
        device.lab,
        parsed.rows(),
        source=ResultSource.FILE,
        source_name=file.name or "",
        layout=parsed.layout,
    )
    return Status(200 if report.ok else 422, report.as_dict())
