"""Matrix entries for the site's own routes: home, login, admin, the audit log, reveal, the API."""

from __future__ import annotations

from django.urls import reverse

from tests.permissions.matrix import LOGIN, OFFICE, PUBLIC, SUPERUSER, Route

REVEALERS = frozenset(
    {"city_office", "district_office", "street_office", "community_office", "grid_worker"}
)
RESIDENTS = ("alice", "bob", "carol")


def _reveal_url(world, obj):
    return reverse("accounts:reveal", args=["people.resident", obj.pk, "phone"])


ROUTES = {
    "home": Route(LOGIN, note="the account's own grants and links"),
    "healthz": Route(PUBLIC),
    "login": Route(PUBLIC),
    "logout": Route(PUBLIC, method="POST", note="logging out is allowed to anyone"),
    "set_language": Route(PUBLIC, method="POST", data=lambda w, o: {"language": "en"}),
    "javascript-catalog": Route(PUBLIC, note="the djangojs catalog: interface words only"),
    "admin:*": Route(
        SUPERUSER,
        # One check (WuyiAdminSite.has_permission) refuses every non-superuser alike; these
        # cover anonymous, no grants, a staff office, field staff and a device.
        personas=(
            "anonymous",
            "no_grants",
            "district_office",
            "grid_worker",
            "site_device",
            "superuser",
        ),
        note="every admin URL but its login and logout: superusers only",
    ),
    "admin:login": Route(PUBLIC),
    "admin:logout": Route(PUBLIC, method="POST"),
    "api:api-root": Route(PUBLIC),
    "api:openapi-json": Route(PUBLIC),
    "api:openapi-view": Route(PUBLIC),
    "api:health": Route(PUBLIC),
    "api:me": Route(LOGIN),
    "api:audit_events": Route(OFFICE, shows=RESIDENTS),
    "api:reveal_api": Route(
        LOGIN,
        method="POST",
        json=True,
        objects=RESIDENTS,
        url=lambda w, o: reverse("api:reveal_api"),
        data=lambda w, o: {
            "model": "people.resident",
            "pk": o.pk,
            "field": "id_number",
            "reason": "核对身份证件",
        },
        allowed=REVEALERS,
        reveals=True,
    ),
    "accounts:audit": Route(OFFICE, shows=RESIDENTS),
    "accounts:audit_export": Route(
        OFFICE,
        url=lambda w, o: [
            reverse("accounts:audit_export", args=["csv"]),
            reverse("accounts:audit_export", args=["xlsx"]),
        ],
    ),
    "accounts:reveal": Route(
        LOGIN,
        method="POST",
        objects=RESIDENTS,
        url=_reveal_url,
        data=lambda w, o: {"reason": "电话通知复核结果"},
        allowed=REVEALERS,
        reveals=True,
    ),
}
