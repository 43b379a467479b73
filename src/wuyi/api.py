"""The JSON API (Django Ninja); its OpenAPI schema is served at /api/docs."""

from ninja import NinjaAPI

api = NinjaAPI(
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
