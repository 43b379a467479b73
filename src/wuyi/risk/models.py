"""Risk areas, the decisions behind them, and the numbered notices that announce them.

A ``RiskArea`` is the current state of one designated place (a compound, building, unit,
household, site or village: a territory node). Every change to it is a ``Decision``
(designate or lower), proposed, then approved by an office; approved decisions not yet
announced become the next ``Notice``. Decisions are never deleted: they are the history.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_noop


class Level(models.TextChoices):
    # Labels stay Chinese in the data (gettext_noop); pages translate them where shown.
    HIGH = "high", gettext_noop("高风险区")
    MEDIUM = "medium", gettext_noop("中风险区")
    LOW = "low", gettext_noop("低风险区")


class AreaStatus(models.TextChoices):
    PROPOSED = "proposed", "待批准"
    ACTIVE = "active", "生效中"
    LOWERED = "lowered", "已调整为低风险区"
    REJECTED = "rejected", "未批准"


class RiskArea(models.Model):
    """One place designated as a risk area, with the facts its lowering depends on."""

    node = models.ForeignKey(
        "territory.Node", verbose_name="地点", on_delete=models.PROTECT, related_name="risk_areas"
    )
    # Copied from the node so areas are scoped and expanded by the same path index.
    path = models.CharField("编码路径", max_length=255, db_index=True)
    district_code = models.CharField("区县代码", max_length=6, db_index=True)
    level = models.CharField("风险等级", max_length=8, choices=Level.choices)
    # 新十条 draws areas by floor: the area is this floor of ``node`` (a unit or building).
    floor = models.SmallIntegerField("楼层", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=AreaStatus.choices, default=AreaStatus.PROPOSED
    )
    policy = models.CharField("政策版本", max_length=32)
    reason = models.TextField("依据(病例、阳性混管等)", blank=True)
    designated_on = models.DateField("划定日期")
    # Exclusions as the notice prints them ("1号楼2单元") and, when resolved, as nodes.
    exclusions = models.CharField("除外部分", max_length=500, blank=True)
    excluded_nodes = models.ManyToManyField(
        "territory.Node", verbose_name="除外地点", blank=True, related_name="+"
    )
    last_infection_on = models.DateField("最近一例新增感染日期", null=True, blank=True)
    screening_negative_on = models.DateField("最近一轮全员筛查全阴日期", null=True, blank=True)
    lowered_on = models.DateField("调整为低风险区日期", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "风险区"
        verbose_name_plural = "风险区"
        indexes = [models.Index(fields=["status", "path"], name="riskarea_status_path")]

    def __str__(self) -> str:
        return f"{self.node.name}({self.get_level_display()})"


class Decision(models.Model):
    """A proposed or approved change to a risk area: designate it, or lower it.

    ``level`` is the level the area has after the decision. Approved decisions with no
    notice yet are what the next notice announces.
    """

    class Action(models.TextChoices):
        DESIGNATE = "designate", "划定"
        LOWER = "lower", "降级"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "待批准"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "未批准"

    area = models.ForeignKey(
        RiskArea, verbose_name="风险区", on_delete=models.PROTECT, related_name="decisions"
    )
    district_code = models.CharField("区县代码", max_length=6, db_index=True)
    path = models.CharField("编码路径", max_length=255, db_index=True)
    action = models.CharField("动作", max_length=12, choices=Action.choices)
    level = models.CharField("决定后的等级", max_length=8, choices=Level.choices)
    policy = models.CharField("政策版本", max_length=32)
    decided_on = models.DateField("日期")
    reason = models.TextField("理由", blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提出人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="批准人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField("批准时间", null=True, blank=True)
    notice = models.ForeignKey(
        "risk.Notice",
        verbose_name="通告",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "风险区决定"
        verbose_name_plural = "风险区决定"
        ordering = ["decided_on", "id"]
        indexes = [models.Index(fields=["status", "notice"], name="decision_status_notice")]

    def __str__(self) -> str:
        return f"{self.get_action_display()}{self.area.node.name}为{self.get_level_display()}"


class Notice(models.Model):
    """A numbered notice (第198号通告) of one issuing office; frozen once published."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"

    issuer = models.CharField("发布机关", max_length=100)
    year = models.PositiveSmallIntegerField("年度")
    number = models.PositiveIntegerField("编号")
    dated = models.DateField("落款日期")
    text = models.TextField("正文")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="起草人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "通告"
        verbose_name_plural = "通告"
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "number"], name="notice_number_unique_per_issuer_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.issuer}第{self.number}号通告"

    def save(self, *args, **kwargs) -> None:
        # A published notice is the public record: corrections are new notices.
        if self.pk is not None:
            stored = Notice.objects.filter(pk=self.pk).values("status", "text").first()
            if stored and stored["status"] == Notice.Status.PUBLISHED:
                raise ValidationError("通告已发布,不能修改;更正请发布新的通告")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status == Notice.Status.PUBLISHED:
            raise ValidationError("通告已发布,不能删除;更正请发布新的通告")
        return super().delete(*args, **kwargs)
