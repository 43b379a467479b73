"""The territory tree: district → street → community → compound → building → unit → household.

Every node stores its materialised ``path`` of codes (``140105.140105001.140105001001.C03.B07.U2.H0502``)
so that "everything under X" is one indexed prefix query on both databases (see ``tree.under``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Kind(models.TextChoices):
    DISTRICT = "district", _("区/县")
    STREET = "street", _("街道/乡镇")
    COMMUNITY = "community", _("社区/村")
    COMPOUND = "compound", _("小区/院")
    BUILDING = "building", _("楼栋")
    UNIT = "unit", _("单元")
    HOUSEHOLD = "household", _("户")
    SITE = "site", _("场所")


class SiteType(models.TextChoices):
    HOTEL = "hotel", _("酒店")
    SHOP_FRONT = "shop_front", _("底商")
    CONSTRUCTION = "construction", _("工地")
    FARM = "farm", _("养殖场")
    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医院")
    OTHER = "other", _("其他")


# Which kinds may hang under which. Sites may hang anywhere below a district;
# a village (community) may hold households directly.
ALLOWED_PARENTS: dict[str, set[str | None]] = {
    Kind.DISTRICT: {None},
    Kind.STREET: {Kind.DISTRICT},
    Kind.COMMUNITY: {Kind.STREET},
    Kind.COMPOUND: {Kind.COMMUNITY},
    Kind.BUILDING: {Kind.COMPOUND, Kind.COMMUNITY},
    Kind.UNIT: {Kind.BUILDING},
    Kind.HOUSEHOLD: {Kind.UNIT, Kind.BUILDING, Kind.COMMUNITY, Kind.COMPOUND},
    Kind.SITE: {Kind.DISTRICT, Kind.STREET, Kind.COMMUNITY, Kind.COMPOUND, Kind.BUILDING},
}

PATH_SEPARATOR = "."


class Node(models.Model):
    """One place in the city's territory tree, from a district down to a household or a site."""

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # The node's own code: the 6/9/12-digit administrative code for districts, streets and
    # communities; a short local code (C03, B07, U2, H0502, S01) below them.
    code = models.CharField(_("编码"), max_length=32)
    # Codes from the district down to this node, joined by ".": the prefix of every descendant.
    path = models.CharField(_("编码路径"), max_length=255, unique=True)
    depth = models.PositiveSmallIntegerField(_("层级"), default=0)
    # Carried by every node (and every large table) so the schema can be distributed by it.
    district_code = models.CharField(_("区县代码"), max_length=6, db_index=True)
    site_type = models.CharField(_("场所类型"), max_length=16, choices=SiteType.choices, blank=True)
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True)
    # The grid that manages this node (buildings, units and households; villages' households).
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nodes",
    )
    sort_key = models.CharField(_("排序"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("辖区节点")
        verbose_name_plural = pgettext_lazy("plural", "辖区节点")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="node_name_unique_among_siblings"
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(parent__isnull=True),
                name="district_name_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "path"], name="node_kind_path"),
            models.Index(fields=["grid", "kind"], name="node_grid_kind"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_district(self) -> bool:
        return self.kind == Kind.DISTRICT


class Grid(models.Model):
    """A management patch inside one community, owned by one or more grid workers.

    It is a set of buildings (or, in villages without buildings, households): the nodes
    whose ``grid`` points here. A compound may be split across grids.
    """

    community = models.ForeignKey(
        Node,
        verbose_name=_("社区/村"),
        on_delete=models.PROTECT,
        related_name="grids",
        limit_choices_to={"kind": Kind.COMMUNITY},
    )
    code = models.CharField(_("网格编码"), max_length=32, unique=True)
    name = models.CharField(_("网格名称"), max_length=100)
    path = models.CharField(_("社区编码路径"), max_length=255, db_index=True)
    district_code = models.CharField(_("区县代码"), max_length=6, db_index=True)
    workers = models.ManyToManyField(
        "accounts.User",
        verbose_name=_("网格员"),
        blank=True,
        related_name="grids",
    )

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = pgettext_lazy("plural", "网格")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"], name="grid_name_unique_in_community"
            ),
        ]

    def __str__(self) -> str:
        return self.name
