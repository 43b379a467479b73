"""Accounts and what each may see: a role granted over a scope (a territory node or a grid)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who logs in: office staff, grid workers, sampling and lab staff, residents."""

    display_name = models.CharField("姓名", max_length=64, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username


class Role(models.TextChoices):
    CITY_OFFICE = "city_office", "市疫情防控办"
    DISTRICT_OFFICE = "district_office", "区县疫情防控办"
    STREET_OFFICE = "street_office", "街道/乡镇"
    COMMUNITY_OFFICE = "community_office", "社区/村"
    GRID_WORKER = "grid_worker", "网格员"
    BUILDING_CAPTAIN = "building_captain", "楼栋长"
    SITE_STAFF = "site_staff", "采样点人员"
    LAB_STAFF = "lab_staff", "实验室人员"
    VOLUNTEER = "volunteer", "志愿者"
    RESIDENT = "resident", "居民"


class Grant(models.Model):
    """One role held by a user over one scope: a territory node (and all below it) or a grid."""

    user = models.ForeignKey(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    node = models.ForeignKey(
        "territory.Node",
        verbose_name="辖区",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="grants",
    )
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name="网格",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="grants",
    )
    created_at = models.DateTimeField("授权时间", auto_now_add=True)

    class Meta:
        verbose_name = "授权"
        verbose_name_plural = "授权"

    def __str__(self) -> str:
        scope = self.node or self.grid or "—"
        return f"{self.user} · {self.get_role_display()} · {scope}"
