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
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    HIGH = "high", _("高风险区")
    MEDIUM = "medium", _("中风险区")
    LOW = "low", _("低风险区")


class AreaStatus(models.TextChoices):
    PROPOSED = "proposed", _("待批准")
    ACTIVE = "active", _("生效中")
    LOWERED = "lowered", _("已调整为低风险区")
    REJECTED = "rejected", _("未批准")


class RiskArea(models.Model):
    """One place designated as a risk area, with the facts its lowering depends on."""

    node = models.ForeignKey(
        "territory.Node",
        verbose_name=_("地点"),
        on_delete=models.PROTECT,
        related_name="risk_areas",
    )
    # Copied from the node so areas are scoped and expanded by the same path index.
    path = models.CharField(_("编码路径"), max_length=255, db_index=True)
    district_code = models.CharField(_("区县代码"), max_length=6, db_index=True)
    level = models.CharField(_("风险等级"), max_length=8, choices=Level.choices)
    # 新十条 draws areas by floor: the area is this floor of ``node`` (a unit or building).
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=AreaStatus.choices, default=AreaStatus.PROPOSED
    )
    policy = models.CharField(_("政策版本"), max_length=32)
    reason = models.TextField(_("依据(病例、阳性混管等)"), blank=True)
    designated_on = models.DateField(_("划定日期"))
    # Exclusions as the notice prints them ("1号楼2单元") and, when resolved, as nodes.
    exclusions = models.CharField(_("除外部分"), max_length=500, blank=True)
    excluded_nodes = models.ManyToManyField(
        "territory.Node", verbose_name=_("除外地点"), blank=True, related_name="+"
    )
    last_infection_on = models.DateField(_("最近一例新增感染日期"), null=True, blank=True)
    screening_negative_on = models.DateField(_("最近一轮全员筛查全阴日期"), null=True, blank=True)
    lowered_on = models.DateField(_("调整为低风险区日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("风险区")
        verbose_name_plural = pgettext_lazy("plural", "风险区")
        indexes = [models.Index(fields=["status", "path"], name="riskarea_status_path")]

    def __str__(self) -> str:
        return gettext("%(place)s(%(level)s)") % {
            "place": self.node.name,
            "level": self.get_level_display(),
        }


class Decision(models.Model):
    """A proposed or approved change to a risk area: designate it, or lower it.

    ``level`` is the level the area has after the decision. Approved decisions with no
    notice yet are what the next notice announces.
    """

    class Action(models.TextChoices):
        DESIGNATE = "designate", _("划定")
        LOWER = "lower", _("降级")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待批准")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")

    area = models.ForeignKey(
        RiskArea, verbose_name=_("风险区"), on_delete=models.PROTECT, related_name="decisions"
    )
    district_code = models.CharField(_("区县代码"), max_length=6, db_index=True)
    path = models.CharField(_("编码路径"), max_length=255, db_index=True)
    action = models.CharField(_("动作"), max_length=12, choices=Action.choices)
    level = models.CharField(_("决定后的等级"), max_length=8, choices=Level.choices)
    policy = models.CharField(_("政策版本"), max_length=32)
    decided_on = models.DateField(_("日期"))
    reason = models.TextField(_("理由"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    notice = models.ForeignKey(
        "risk.Notice",
        verbose_name=pgettext_lazy("singular", "通告"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("风险区决定")
        verbose_name_plural = pgettext_lazy("plural", "风险区决定")
        ordering = ["decided_on", "id"]
        indexes = [models.Index(fields=["status", "notice"], name="decision_status_notice")]

    def __str__(self) -> str:
        values = {"place": self.area.node.name, "level": self.get_level_display()}
        if self.action == self.Action.LOWER:
            return gettext("降级%(place)s为%(level)s") % values
        return gettext("划定%(place)s为%(level)s") % values


class Notice(models.Model):
    """A numbered notice (第198号通告) of one issuing office; frozen once published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    issuer = models.CharField(_("发布机关"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveIntegerField(_("编号"))
    dated = models.DateField(_("落款日期"))
    text = models.TextField(_("正文"))
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("起草人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("singular", "通告")
        verbose_name_plural = _("通告")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "number"], name="notice_number_unique_per_issuer_year"
            )
        ]

    def __str__(self) -> str:
        return gettext("%(issuer)s第%(number)s号通告") % {
            "issuer": self.issuer,
            "number": self.number,
        }

    def save(self, *args, **kwargs) -> None:
        # A published notice is the public record: corrections are new notices.
        if self.pk is not None:
            stored = Notice.objects.filter(pk=self.pk).values("status", "text").first()
            if stored and stored["status"] == Notice.Status.PUBLISHED:
                raise ValidationError(gettext("通告已发布,不能修改;更正请发布新的通告"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status == Notice.Status.PUBLISHED:
            raise ValidationError(gettext("通告已发布,不能删除;更正请发布新的通告"))
        return super().delete(*args, **kwargs)
