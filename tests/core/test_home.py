"""The home page leads each role to where its daily work starts, and nowhere else."""

from django.urls import reverse

from tests.conftest import make_user
from wuyi.accounts.models import Role


def link(name: str) -> str:
    return f'href="{reverse(name)}"'


def test_a_grid_worker_is_led_to_coverage_and_todays_control_tasks(client, city, grid_worker):
    client.force_login(grid_worker)
    page = client.get(reverse("home")).content.decode()
    assert link("coverage:index") in page
    assert link("control:grid") in page
    assert link("accounts:audit") not in page
    assert link("control:overview") not in page
    assert link("testing:sampling") not in page


def test_a_community_office_is_led_to_control_risk_decisions_and_the_audit_log(client, city):
    office = make_user("office", Role.COMMUNITY_OFFICE, node=city.community)
    client.force_login(office)
    page = client.get(reverse("home")).content.decode()
    for name in ("control:overview", "risk:office", "accounts:audit", "coverage:index"):
        assert link(name) in page, name
    assert link("control:grid") not in page
