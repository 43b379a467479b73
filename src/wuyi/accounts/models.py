"""Accounts and what each may see; the append-only audit log; counts kept after a purge.

A user holds one or more grants. Each grant is a role over one scope: a territory node
(the node and everything beneath it), a grid, a sampling site or a lab. A resident's
grant is over their own household node. A city office grant may have no scope: it covers
the whole city. ``wuyi.accounts.scoping`` turns grants into query filters.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who logs in: office staff, grid workers, sampling and lab staff, residents."""

    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = pgettext_lazy("plural", "用户")

    def __str__(self) -> str:
        return self.display_name or self.username


class Role(models.TextChoices):
    CITY_OFFICE = "city_office", _("市疫情防控办")
    DISTRICT_OFFICE = "district_office", _("区县疫情防控办")
    STREET_OFFICE = "street_office", pgettext_lazy("role", "街道/乡镇")
    COMMUNITY_OFFICE = "community_office", pgettext_lazy("role", "社区/村")
    GRID_WORKER = "grid_worker", _("网格员")
    BUILDING_CAPTAIN = "building_captain", _("楼栋长")
    SITE_STAFF = "site_staff", _("采样点人员")
    LAB_STAFF = "lab_staff", _("实验室人员")
    VOLUNTEER = "volunteer", _("志愿者")
    RESIDENT = "resident", _("居民")


# The offices: they see the audit log of what lies under them and may export.
OFFICE_ROLES = frozenset(
    {Role.CITY_OFFICE, Role.DISTRICT_OFFICE, Role.STREET_OFFICE, Role.COMMUNITY_OFFICE}
)


class Grant(models.Model):
    """One role held by a user over one scope: a node (and all below it), a grid, a site or a lab."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    node = models.ForeignKey(
        "territory.Node",
        verbose_name=_("辖区"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="grants",
    )
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="grants",
    )
    site = models.ForeignKey(
        "testing.SamplingSite",
        verbose_name=_("采样点"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="grants",
    )
    lab = models.ForeignKey(
        "testing.Lab",
        verbose_name=_("实验室"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="grants",
    )
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("授权")
        verbose_name_plural = pgettext_lazy("plural", "授权")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.scope_label}"

    @property
    def scope_label(self) -> str:
        for field in ("node", "grid", "site", "lab"):
            value = getattr(self, field, None)
            if value is not None:
                return str(value)
        return gettext("全市") if self.role == Role.CITY_OFFICE else "—"

    def clean(self) -> None:
        scopes = [f for f in ("node_id", "grid_id", "site_id", "lab_id") if getattr(self, f, None)]
        if len(scopes) > 1:
            raise ValidationError(gettext("一条授权只能有一个范围:辖区、网格、采样点或实验室之一"))
        if not scopes and self.role != Role.CITY_OFFICE:
            raise ValidationError(
                gettext("%(role)s的授权必须指定范围") % {"role": self.get_role_display()}
            )
        if self.role == Role.RESIDENT and (self.node is None or self.node.kind != "household"):
            raise ValidationError(gettext("居民账号必须绑定到自己的户"))
        if self.role == Role.GRID_WORKER and not getattr(self, "grid_id", None):
            # A grid worker sees their grids only, and may reveal full ID numbers there: a
            # street or district granted by mistake would open all of it.
            raise ValidationError(gettext("网格员的授权必须指定网格"))
        if self.role == Role.SITE_STAFF and not getattr(self, "site_id", None):
            raise ValidationError(gettext("采样点人员的授权必须指定采样点"))
        if self.role == Role.LAB_STAFF and not getattr(self, "lab_id", None):
            raise ValidationError(gettext("实验室人员的授权必须指定实验室"))


class Action(models.TextChoices):
    CREATE = "create", _("新增")
    CHANGE = "change", _("修改")
    DELETE = "delete", _("删除")
    IMPORT = "import", _("导入")
    STATUS = "status", _("状态变更")
    REVEAL = "reveal", _("查看完整信息")
    EXPORT = "export", _("导出")
    LOGIN = "login", pgettext_lazy("audit action", "登录")
    PURGE = "purge", _("清除个人数据")


class AppendOnlyError(Exception):
    """Raised on an attempt to change or delete an audit record."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(gettext("审计日志只能追加,不能修改"))

    def delete(self):
        raise AppendOnlyError(gettext("审计日志只能追加,不能删除"))


class AuditEvent(models.Model):
    """One write or one sensitive read: who, when, what, before and after. Never changed.

    The record's ``path`` and ``district_code`` are copies of the territory of the object
    it is about, so offices see the events under them through the usual scoping. The
    actor is kept as id and name (not a foreign key), so deleting an account leaves the
    history intact. Database triggers refuse UPDATE and DELETE as well (migration 0004).
    """

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(_("操作人ID"), null=True, blank=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    model = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_pk = models.CharField(_("对象ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    path = models.CharField(_("辖区编码路径"), max_length=255, blank=True, db_index=True)
    district_code = models.CharField(_("区县代码"), max_length=6, blank=True, db_index=True)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    reason = models.CharField(_("事由"), max_length=500, blank=True)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = pgettext_lazy("plural", "审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_pk"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise AppendOnlyError(gettext("审计日志只能追加,不能修改"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(gettext("审计日志只能追加,不能删除"))


class PurgedCount(models.Model):
    """Anonymous counts of personal records removed by ``wuyi purge``: what statistics keep."""

    purged_at = models.DateTimeField(_("清除时间"), auto_now_add=True)
    category = models.CharField(_("数据类别"), max_length=64)
    day = models.DateField(_("记录日期"), null=True, blank=True)
    district_code = models.CharField(_("区县代码"), max_length=6, blank=True)
    label = models.CharField(_("分组"), max_length=64, blank=True)
    count = models.PositiveIntegerField(_("数量"))

    class Meta:
        verbose_name = _("已清除数据统计")
        verbose_name_plural = pgettext_lazy("plural", "已清除数据统计")
        indexes = [models.Index(fields=["category", "day"], name="purged_category_day")]

    def __str__(self) -> str:
        return f"{self.category} {self.day} {self.district_code} {self.count}"
