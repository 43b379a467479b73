"""Scan routes for sampling devices: ``POST /api/v1/scans`` (a batch) and ``/api/v1/scans/one``.

Devices authenticate with ``Authorization: Bearer <device token>``; the token is bound to
one sampling site and may post events for that site only (others are answered
``wrong_site``). Each event gets its own answer (see ``wuyi.testing.ingest``); a retried
batch is safe.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer
from pydantic import BaseModel, Field

from wuyi.testing import devices, round_setup
from wuyi.testing.ingest import MAX_BATCH, BatchTooLarge, ingest


class DeviceBearer(HttpBearer):
    """A sampling site's device token; lab tokens and revoked tokens are refused (401)."""

    def authenticate(self, request: HttpRequest, token: str):
        return devices.site_device(token, round_setup.current())


router = Router(tags=["scans"], auth=DeviceBearer())


class ScanEventIn(BaseModel):
    # Plain pydantic models, not ninja.Schema: Schema's ORM-friendly getters cost more
    # than the whole ingest of a 500-event batch.

    event_id: str = Field(
        ..., max_length=64, description="设备生成的UUID;重复提交同一编号不会重复绑定"
    )
    type: str = Field("bind", max_length=8, description="bind(采样绑定)或 seal(封管)")
    round: str = Field(..., max_length=32, description="检测轮次编号")
    site: str = Field(..., max_length=32, description="采样点编码,须为本设备所属采样点")
    desk: str = Field("", max_length=16, description="采样台编号")
    tube: str = Field(..., max_length=64, description="试管条码")
    token: str = Field("", max_length=64, description="居民采样码中的令牌(扫码)")
    id_type: str = Field("", max_length=16, description="证件类型(手工录入时),默认居民身份证")
    id_number: str = Field("", max_length=40, description="证件号码(手工录入时)")
    name: str = Field("", max_length=64)
    phone: str = Field("", max_length=20)
    device_time: str | None = Field(None, max_length=40, description="设备时间 ISO 8601")


class ScanBatchIn(BaseModel):
    events: list[ScanEventIn] = Field(..., max_length=MAX_BATCH)


class AnswerOut(Schema):
    event_id: str
    status: str = Field(..., description="accepted / duplicate / rejected")
    outcome: str = Field(..., description="首次处理结果 accepted / rejected")
    reason: str | None = None
    message: str | None = None
    tube: str | None = None
    members: int | None = None
    sealed: bool | None = None
    follow_up: bool | None = None


class BatchOut(Schema):
    accepted: int
    duplicate: int
    rejected: int
    answers: list[AnswerOut]


class ErrorOut(Schema):
    detail: str = Field(..., description="为何拒绝整个请求(如请求体无法解析、令牌无效、批次过大)")


class ValidationErrorOut(Schema):
    detail: list[dict] = Field(..., description="请求体不合格之处:字段位置与原因")


# What a device meets besides the answers: every error a whole request can get, so a
# device maker reading /api/docs handles each (schemathesis found them undocumented).
BATCH_RESPONSES = {
    200: BatchOut,
    400: ErrorOut,
    401: ErrorOut,
    413: ErrorOut,
    422: ValidationErrorOut,
}
ONE_RESPONSES = {200: AnswerOut, 400: ErrorOut, 401: ErrorOut, 422: ValidationErrorOut}


def answer_events(
    events: list[dict], site_id: int, setup: round_setup.Setup | None = None
) -> list[dict]:
    """The answers, in the documented shape, to a device's events for its site.

    Shared by these routes and ``scan_endpoint``, which answers the same paths in front of
    Django: a scan is decided by this one function whichever of them takes the request.
    """
    return [a.as_dict() for a in ingest(events, allowed_site_ids={site_id}, setup=setup)]


def batch_counts(answers: list[dict]) -> dict[str, int]:
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    for a in answers:
        counts[a["status"]] += 1
    return counts


def _run(request: HttpRequest, events: list[dict]) -> list[dict]:
    try:
        return answer_events(events, request.auth.site_id)
    except BatchTooLarge as exc:
        raise HttpError(413, str(exc)) from None


# The handlers return JsonResponse themselves: the answers are built by ingest in the
# documented shape, and re-validating 500 of them against the schema doubled the time.
# In production ``scan_endpoint`` answers these paths before Django sees them, whenever the
# token authenticates and the body validates; these handlers answer the rest, Django's test
# client, and document both routes in the schema.


@router.post("/scans", response=BATCH_RESPONSES, summary="提交一批扫码事件")
def post_scans(request: HttpRequest, payload: ScanBatchIn) -> JsonResponse:
    """Bind a batch of scan events (≤ 2000, 500 recommended); one answer per event, in order."""
    answers = _run(request, [e.__dict__ for e in payload.events])
    return JsonResponse(
        {**batch_counts(answers), "answers": answers}, json_dumps_params={"ensure_ascii": False}
    )


@router.post("/scans/one", response=ONE_RESPONSES, summary="提交单条扫码事件")
def post_scan(request: HttpRequest, payload: ScanEventIn) -> JsonResponse:
    """The single-event path: one phone, one scan, one answer."""
    answer = _run(request, [payload.__dict__])[0]
    return JsonResponse(answer, json_dumps_params={"ensure_ascii": False})
