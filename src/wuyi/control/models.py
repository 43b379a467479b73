"""Risk persons under control: who, which measure, which state, what is due, who answers.

A ``RiskPerson`` is one episode of control of one resident: the category decided when
they were identified, the policy version in force that day (recorded, never recomputed),
the measure's stages with their dates, and one current state in the chain
identified → notified → transferred → under measure → released (or → escalated). Every
change of state is a ``Transition`` row. ``Task`` rows are the calendar the measure
generates (single-tube sampling on test days, daily health checks, the release), each
with a deadline; a ``FiveToOneTeam`` names the people responsible for a household.

The territory fields (``path``, ``grid``, ``district_code``) are copies of the
resident's household at identification, so lists for a street or a grid are one
indexed lookup without joins.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuyi.people.models import chinese_labels


class Category(models.TextChoices):
    CONFIRMED = "confirmed", _("确诊病例")
    ASYMPTOMATIC = "asymptomatic", _("无症状感染者")
    CLOSE_CONTACT = "close_contact", _("密切接触者")
    SECONDARY_CONTACT = "secondary_contact", _("次密切接触者")
    LEFT_HIGH_RISK_AREA = "left_high_risk_area", _("高风险区外溢人员")
    HIGH_RISK_RESIDENT = "high_risk_resident", _("高风险区居民")
    INBOUND_TRAVELLER = "inbound_traveller", _("入境人员")
    POSITIVE_POOL_MEMBER = "positive_pool_member", _("混管阳性待复核人员")


class State(models.TextChoices):
    IDENTIFIED = "identified", _("已判定")
    NOTIFIED = "notified", _("已告知")
    TRANSFERRED = "transferred", _("已转运")
    UNDER_MEASURE = "under_measure", _("管控中")
    RELEASED = "released", _("已解除")
    ESCALATED = "escalated", _("已转阳")


# States in which a person is still under control (one such episode per resident).
ACTIVE_STATES = (State.IDENTIFIED, State.NOTIFIED, State.TRANSFERRED, State.UNDER_MEASURE)


class Place(models.TextChoices):
    CENTRAL_ISOLATION = "central_isolation", _("集中隔离")
    HOME_ISOLATION = "home_isolation", _("居家隔离")
    HOME_HEALTH_MONITORING = "home_health_monitoring", _("居家健康监测")
    HOSPITAL = "hospital", _("定点医院/方舱医院")


# Places where the community (not an isolation site or hospital) looks after the person.
HOME_PLACES = (Place.HOME_ISOLATION, Place.HOME_HEALTH_MONITORING)


class Source(models.TextChoices):
    POSITIVE_POOL = "positive_pool", _("混管阳性")
    RISK_AREA = "risk_area", _("高风险区")
    CONTACT_LIST = "contact_list", _("流调密接名单")
    MANUAL = "manual", _("手工登记")
    ESCALATION = "escalation", _("复核/管控中转阳")


def chinese_label(choices: type[models.Choices], value: str) -> str:
    """The label of ``value`` as written in this file (Chinese), whatever language is active.

    Notes and reasons stored with a record (a transition's note, a pool link's reason) are
    written in Chinese like the rest of the stored records: pages translate labels when
    they show them, stored text keeps the source words.
    """
    return chinese_labels(choices)[choices(value).value]


class RiskPerson(models.Model):
    """One resident under one control measure, from identification to release or escalation."""

    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("居民"),
        on_delete=models.PROTECT,
        related_name="risk_episodes",
    )
    category = models.CharField(_("人员类别"), max_length=24, choices=Category.choices)
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.IDENTIFIED
    )
    # The version in force on the day of identification decides the measure, and is kept.
    policy_version = models.CharField(_("政策版本"), max_length=32)
    policy_name = models.CharField(_("政策版本名称"), max_length=64)
    release_rule = models.CharField(_("解除条件"), max_length=32)
    identified_at = models.DateTimeField(_("判定时间"))
    identified_on = models.DateField(_("判定日期"))
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    source_ref = models.CharField(_("来源编号"), max_length=100, blank=True)
    place = models.CharField(_("管控方式"), max_length=24, choices=Place.choices)
    start_date = models.DateField(_("管控开始"))
    end_date = models.DateField(_("管控结束"), null=True, blank=True)
    # The day release is due (None while the measure lasts until an event).
    release_on = models.DateField(_("应解除日期"), null=True, blank=True)
    ended_at = models.DateTimeField(_("解除/转阳时间"), null=True, blank=True)
    escalated_from = models.ForeignKey(
        "self",
        verbose_name=_("由此转阳"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    household = models.ForeignKey(
        "territory.Node", verbose_name=_("户"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(_("户编码路径"), max_length=255)
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    district_code = models.CharField(_("区县代码"), max_length=6, db_index=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("风险人员")
        verbose_name_plural = pgettext_lazy("plural", "风险人员")
        constraints = [
            # At any moment a resident has at most one current control episode.
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(state__in=[s.value for s in ACTIVE_STATES]),
                name="risk_person_one_active_episode",
            ),
        ]
        indexes = [
            models.Index(fields=["path", "state"], name="riskperson_path_state"),
            models.Index(fields=["grid", "state"], name="riskperson_grid_state"),
            models.Index(fields=["release_on", "state"], name="riskperson_release"),
            models.Index(fields=["resident", "source", "source_ref"], name="riskperson_source"),
        ]

    def __str__(self) -> str:
        return f"{self.resident.name} · {self.get_category_display()}"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


class Transition(models.Model):
    """One change of a risk person's state: from, to, when, by whom, why. Never changed."""

    risk_person = models.ForeignKey(
        RiskPerson, verbose_name=_("风险人员"), on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(_("原状态"), max_length=16, choices=State.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, choices=State.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("状态变更")
        verbose_name_plural = pgettext_lazy("plural", "状态变更")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or '—'} → {self.to_state}"


class Stage(models.Model):
    """One stage of a person's measure (e.g. 5 days central isolation), with its dates."""

    risk_person = models.ForeignKey(
        RiskPerson, verbose_name=_("风险人员"), on_delete=models.CASCADE, related_name="stages"
    )
    seq = models.PositiveSmallIntegerField(_("序号"))
    place = models.CharField(_("管控方式"), max_length=24, choices=Place.choices)
    start_date = models.DateField(_("开始日期"))
    # None: the stage lasts until ``until`` happens (discharge, retest result, area lowered).
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    until = models.CharField(_("持续至"), max_length=32, blank=True)
    test_days = models.JSONField(_("检测日(第几天)"), default=list)
    daily_tests = models.BooleanField(_("每日检测"), default=False)

    class Meta:
        verbose_name = pgettext_lazy("singular", "管控阶段")
        verbose_name_plural = _("管控阶段")
        ordering = ["risk_person", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["risk_person", "seq"], name="stage_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_place_display()} {self.start_date}–{self.end_date or self.until}"


class TaskKind(models.TextChoices):
    SAMPLING = "sampling", _("单管采样")
    HEALTH_CHECK = "health_check", _("健康监测")
    RELEASE = "release", _("解除管控")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待办")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class TaskResult(models.TextChoices):
    NONE = "", "—"
    NEGATIVE = "negative", _("阴性")
    POSITIVE = "positive", _("阳性")
    NORMAL = "normal", _("正常")
    ABNORMAL = "abnormal", _("异常")


class Task(models.Model):
    """One thing due for a risk person on a day, with a deadline and the person who owes it."""

    risk_person = models.ForeignKey(
        RiskPerson, verbose_name=_("风险人员"), on_delete=models.CASCADE, related_name="tasks"
    )
    kind = models.CharField(_("任务类型"), max_length=16, choices=TaskKind.choices)
    day = models.DateField(_("日期"))
    day_number = models.PositiveSmallIntegerField(_("管控第几天"), default=1)
    due_at = models.DateTimeField(_("截止时间"))
    status = models.CharField(
        _("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    home_sampling = models.BooleanField(_("上门采样"), default=False)
    assignee = models.ForeignKey(
        "workforce.Staff",
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    result = models.CharField(
        _("结果"), max_length=16, choices=TaskResult.choices, blank=True, default=""
    )
    temperature = models.DecimalField(
        _("体温"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    symptoms = models.CharField(_("症状"), max_length=200, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("完成人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    escalated_at = models.DateTimeField(_("逾期上报时间"), null=True, blank=True)
    household = models.ForeignKey(
        "territory.Node", verbose_name=_("户"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(_("户编码路径"), max_length=255)
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    district_code = models.CharField(_("区县代码"), max_length=6)

    class Meta:
        verbose_name = _("管控任务")
        verbose_name_plural = pgettext_lazy("plural", "管控任务")
        constraints = [
            models.UniqueConstraint(
                fields=["risk_person", "kind", "day"], name="task_once_per_kind_and_day"
            ),
        ]
        indexes = [
            # The overdue list for a street or community: open tasks under a path, by deadline.
            models.Index(
                fields=["path", "due_at"], condition=Q(status="open"), name="task_open_path_due"
            ),
            models.Index(fields=["grid", "day"], name="task_grid_day"),
            models.Index(fields=["assignee", "status"], name="task_assignee_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.day}"


class FiveToOneTeam(models.Model):
    """The named people (五包一) who answer together for one controlled household."""

    household = models.OneToOneField(
        "territory.Node",
        verbose_name=_("户"),
        on_delete=models.PROTECT,
        related_name="control_team",
    )
    path = models.CharField(_("户编码路径"), max_length=255, db_index=True)
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    district_code = models.CharField(_("区县代码"), max_length=6)
    # A team is active while someone in the household is under control; load counts these.
    active = models.BooleanField(_("在管"), default=True)
    created_at = models.DateTimeField(_("组建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("五包一责任组")
        verbose_name_plural = pgettext_lazy("plural", "五包一责任组")

    def __str__(self) -> str:
        return f"{self.household} 责任组"


class TeamMember(models.Model):
    """One role on a five-to-one team, filled by one staff member."""

    team = models.ForeignKey(
        FiveToOneTeam, verbose_name=_("责任组"), on_delete=models.CASCADE, related_name="members"
    )
    role = models.CharField(_("角色"), max_length=32)
    staff = models.ForeignKey(
        "workforce.Staff",
        verbose_name=_("工作人员"),
        on_delete=models.PROTECT,
        related_name="team_memberships",
    )

    class Meta:
        verbose_name = _("责任组成员")
        verbose_name_plural = pgettext_lazy("plural", "责任组成员")
        constraints = [
            models.UniqueConstraint(fields=["team", "role"], name="team_role_once"),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.staff}"


class PendingPool(models.Model):
    """A positive pool whose members are not yet under control: control's inbox.

    Written in the same transaction as the lab result that made the pool positive (the
    testing app's ``positive_pools_opened`` signal), so a committed result always leaves
    either this row or the members' links; the background job takes the row and the
    members in together, so nothing is half done and nothing is lost if a run fails.
    """

    tube = models.OneToOneField(
        "testing.Tube", verbose_name=_("阳性混管"), on_delete=models.CASCADE, related_name="+"
    )
    members = models.PositiveIntegerField(_("复核任务数"), default=0)
    created_at = models.DateTimeField(_("入队时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待纳入管控的阳性混管")
        verbose_name_plural = pgettext_lazy("plural", "待纳入管控的阳性混管")

    def __str__(self) -> str:
        return f"待纳入 {self.tube_id}"


class PoolLinkOutcome(models.TextChoices):
    ENTERED = "entered", _("已纳入管控")
    ALREADY = "already", _("已因其他原因在管控中")
    SKIPPED = "skipped", _("未能纳入")


class PoolLink(models.Model):
    """What control did with one positive-pool retest task: which episode it belongs to.

    One per task (the testing app's ``RetestTask``), so taking a task in twice is
    impossible. ``open`` while the retest has not been applied to the episode yet: the
    job's "decided but not applied" query reads only open links (a partial index), not
    every task of every round.
    """

    retest_task = models.OneToOneField(
        "testing.RetestTask",
        verbose_name=_("复核任务"),
        on_delete=models.CASCADE,
        related_name="control_link",
    )
    risk_person = models.ForeignKey(
        RiskPerson,
        verbose_name=_("风险人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pool_links",
    )
    outcome = models.CharField(_("处理结果"), max_length=16, choices=PoolLinkOutcome.choices)
    reason = models.CharField(_("说明"), max_length=500, blank=True)
    open = models.BooleanField(_("待复核结果"), default=True)
    created_at = models.DateTimeField(_("纳入时间"), auto_now_add=True)
    applied_at = models.DateTimeField(_("复核结果处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("混管阳性复核任务管控记录")
        verbose_name_plural = pgettext_lazy("plural", "混管阳性复核任务管控记录")
        indexes = [
            models.Index(fields=["retest_task"], condition=Q(open=True), name="poollink_open"),
        ]

    def __str__(self) -> str:
        return f"{self.retest_task_id} → {self.risk_person_id or self.get_outcome_display()}"
