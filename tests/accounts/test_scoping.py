"""The one scoping mechanism: grants over nodes, grids, sites and labs, and their limits."""

from __future__ import annotations

import pytest

from tests.conftest import make_user
from wuyi.accounts.models import AuditEvent, Grant, Role, User
from wuyi.accounts.scoping import (
    SCOPE_FIELDS,
    ScopeGrant,
    can_see,
    declare,
    rule_for,
    scoped,
)
from wuyi.people.models import Resident
from wuyi.territory.models import Grid, Node
from wuyi.testing.models import Lab, SamplingSite


def names(queryset) -> set[str]:
    return set(queryset.values_list("name", flat=True))


def test_a_grid_worker_sees_the_residents_of_their_grid_only(city, grid_worker):
    assert names(scoped(Resident.objects.all(), grid_worker)) == {"张丽"}
    assert names(scoped(Grid.objects.all(), grid_worker)) == {"第一网格"}


def test_a_district_office_sees_everything_under_its_district(city):
    office = make_user("d", Role.DISTRICT_OFFICE, node=city.district)
    assert names(scoped(Resident.objects.all(), office)) == {"张丽", "李强"}
    assert "迎泽区" not in names(scoped(Node.objects.all(), office))
    assert "小店区" in names(scoped(Node.objects.all(), office))


def test_a_building_captain_sees_their_building_but_not_its_grid(city):
    captain = make_user("cap", Role.BUILDING_CAPTAIN, node=city.building2)
    assert names(scoped(Resident.objects.all(), captain)) == {"李强"}
    assert names(scoped(Grid.objects.all(), captain)) == set()


def test_a_resident_sees_their_own_household_only(city):
    resident = make_user("home", Role.RESIDENT, node=city.home1)
    assert names(scoped(Resident.objects.all(), resident)) == {"张丽"}
    assert names(scoped(Node.objects.all(), resident)) == {"101"}
    assert scoped(Node.objects.all(), resident).get().pk == city.home1.pk


def test_a_city_office_without_a_scope_covers_the_whole_city(city):
    office = make_user("city", Role.CITY_OFFICE)
    assert scoped(Node.objects.all(), office).count() == Node.objects.count()


def test_a_user_without_grants_and_an_anonymous_user_see_nothing(city):
    from django.contrib.auth.models import AnonymousUser

    nobody = User.objects.create_user("nobody", password="x" * 12)
    assert not scoped(Resident.objects.all(), nobody).exists()
    assert not scoped(Resident.objects.all(), AnonymousUser()).exists()


def test_a_superuser_sees_everything(city):
    root = User.objects.create_superuser("root", password="x" * 12)
    assert scoped(Resident.objects.all(), root).count() == 2


def test_site_staff_see_their_site_and_no_residents(city):
    site_a = SamplingSite.objects.create(
        code="S-A",
        name="甲采样点",
        node=city.community,
        path=city.community.path,
        district_code="140105",
    )
    SamplingSite.objects.create(
        code="S-B",
        name="乙采样点",
        node=city.other_district,
        path=city.other_district.path,
        district_code="140106",
    )
    staff = User.objects.create_user("site", password="x" * 12)
    Grant.objects.create(user=staff, role=Role.SITE_STAFF, site=site_a)
    assert names(scoped(SamplingSite.objects.all(), staff)) == {"甲采样点"}
    assert not scoped(Resident.objects.all(), staff).exists()


def test_lab_staff_see_their_lab_only(city):
    lab_a = Lab.objects.create(code="L-A", name="甲实验室", district_code="140105")
    Lab.objects.create(code="L-B", name="乙实验室", district_code="140105")
    staff = User.objects.create_user("lab", password="x" * 12)
    Grant.objects.create(user=staff, role=Role.LAB_STAFF, lab=lab_a)
    assert names(scoped(Lab.objects.all(), staff)) == {"甲实验室"}
    assert not scoped(Node.objects.all(), staff).exists()


def test_a_device_principal_is_scoped_by_its_own_grants(city):
    lab = Lab.objects.create(code="L-A", name="甲实验室", district_code="140105")
    Lab.objects.create(code="L-B", name="乙实验室", district_code="140105")

    class Device:
        def scope_grants(self):
            return [ScopeGrant(role=Role.LAB_STAFF, lab_id=lab.pk)]

    assert names(scoped(Lab.objects.all(), Device())) == {"甲实验室"}


def test_only_offices_see_the_audit_log_under_them(city, grid_worker):
    from wuyi.accounts import audit

    audit.record("change", city.alice, user=grid_worker)
    audit.record("change", None, model="x.y", path="140106.1", district_code="140106")
    community = make_user("c", Role.COMMUNITY_OFFICE, node=city.community)
    assert scoped(AuditEvent.objects.all(), grid_worker).count() == 0  # offices only
    assert list(
        scoped(AuditEvent.objects.filter(action="change"), community).values_list(
            "object_repr", flat=True
        )
    ) == ["张丽"]


def test_a_model_without_a_rule_is_refused():
    with pytest.raises(LookupError, match="no scope rule"):
        scoped(User.objects.all(), None)


def test_the_older_scope_fields_form_still_declares_a_rule():
    SCOPE_FIELDS["tests.example"] = ("where", "patch")
    try:
        rule = rule_for("tests.example")
        assert (rule.path, rule.grid, rule.site) == ("where", "patch", None)
    finally:
        del SCOPE_FIELDS["tests.example"]
    declare("tests.other", path=None, site="site")
    assert rule_for("tests.other").site == "site"


def test_can_see_answers_for_one_object(city, grid_worker):
    assert can_see(grid_worker, city.alice)
    assert not can_see(grid_worker, city.bob)
