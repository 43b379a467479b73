"""The JSON API (Django Ninja); its OpenAPI schema is served at /api/docs."""

from ninja import NinjaAPI

# The errors any operation can answer besides its own, as Ninja and Django produce them:
# {"detail": "..."} (422 lists the invalid fields). Documented on every operation they can
# reach, so a device maker or an office's script reading /api/docs handles each.
_DETAIL = {
    "application/json": {
        "schema": {
            "type": "object",
            "properties": {"detail": {"title": "Detail"}},
            "required": ["detail"],
        }
    }
}
_ERRORS = {
    400: ("body", "请求体无法解析(不是 JSON 或编码错误)"),
    401: ("auth", "未登录,或令牌无效、已吊销"),
    403: ("session", "已登录,但角色或辖区无权进行此操作"),
    422: ("input", "参数或请求体不合格:detail 说明哪里不合格"),
}


class WuyiAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        return document_errors(super().get_openapi_schema(*args, **kwargs))


def document_errors(schema):
    """Add the common error answers to each operation's responses (kept where already set)."""
    for methods in schema["paths"].values():
        for operation in methods.values():
            security = {name for item in operation.get("security", []) for name in item}
            applies = {
                "body": "requestBody" in operation,
                "auth": bool(security),
                "session": "SessionAuth" in security,
                "input": "requestBody" in operation or bool(operation.get("parameters")),
            }
            responses = operation.setdefault("responses", {})
            for status, (when, description) in _ERRORS.items():
                if applies[when] and status not in responses and str(status) not in responses:
                    responses[status] = {"description": description, "content": _DETAIL}
    return schema


api = WuyiAPI(
    title="无疫 wuyi API",
    version="1",
    description="Sampling devices, labs and offices. Every route is scoped to the caller's grants.",
    urls_namespace="api",
)


@api.get("/v1/health", tags=["system"], auth=None)
def health(request) -> dict:
    """Liveness for load balancers and sampling devices checking the network."""
    return {"status": "ok"}


# Each app's routes live in its own router, added here under /v1/.
from wuyi.accounts.api import router as accounts_router  # noqa: E402

api.add_router("/v1/", accounts_router)

from wuyi.testing.api import router as testing_router  # noqa: E402

api.add_router("/v1/", testing_router)

from wuyi.testing.lab_api import router as lab_router  # noqa: E402

api.add_router("/v1/lab/", lab_router)

from wuyi.risk.api import router as risk_router  # noqa: E402

api.add_router("/v1/risk/", risk_router)
