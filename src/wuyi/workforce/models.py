"""The territory's workforce: the named people who can be put on a five-to-one team.

Kept small on purpose: a staff member is a name, a role, a phone and the territory node
whose workforce they belong to (a street, a community, or a grid's community). A grid
worker or volunteer with an account links it, so their tasks reach their phone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class StaffRole(models.TextChoices):
    STREET_CADRE = "street_cadre", _("街道干部")
    COMMUNITY_CADRE = "community_cadre", _("社区干部")
    GRID_WORKER = "grid_worker", _("网格员")
    COMMUNITY_DOCTOR = "community_doctor", _("社区医生")
    POLICE_OFFICER = "police_officer", _("社区民警")
    VOLUNTEER = "volunteer", _("志愿者")
    PROPERTY_STAFF = "property_staff", _("物业人员")


class Staff(models.Model):
    """One member of a territory's workforce (a cadre, grid worker, doctor, officer, volunteer)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    name = models.CharField(_("姓名"), max_length=64)
    role = models.CharField(_("岗位"), max_length=32, choices=StaffRole.choices)
    node = models.ForeignKey(
        "territory.Node", verbose_name=_("所属辖区"), on_delete=models.PROTECT, related_name="staff"
    )
    # Copies of the node's path and district: "the workforce serving X" is a lookup of
    # X's ancestors' paths, and scoping filters on path without a join.
    path = models.CharField(_("辖区编码路径"), max_length=255, db_index=True)
    district_code = models.CharField(_("区县代码"), max_length=6, db_index=True)
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = pgettext_lazy("plural", "工作人员")
        indexes = [models.Index(fields=["path", "role"], name="staff_path_role")]

    def __str__(self) -> str:
        return f"{self.name}({self.get_role_display()})"

    def save(self, *args, **kwargs):
        # The node is the authority for where a staff member belongs.
        if self.node_id is not None:
            self.path = self.node.path
            self.district_code = self.node.district_code
        super().save(*args, **kwargs)
