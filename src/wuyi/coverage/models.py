"""Coverage of a testing round (应检尽检): exemptions, door knocks, door notes, home sampling.

Who was sampled is ``testing.Sampled`` (one row per person per round). This app records
what explains the people who were not: an exemption with its reason and grantor, the
result of a grid worker's knock on the door, a household's own door note, and a request
to sample a bedridden person at home. Each row carries copies of the household's path,
grid and district (like residents and scans) so scoping and rollups need no join.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuyi.accounts.models import OFFICE_ROLES
from wuyi.accounts.scoping import declare


class ExemptReason(models.TextChoices):
    AWAY = "away", _("离市在外")
    ISOLATED = "isolated", _("已隔离或住院")
    BEDRIDDEN = "bedridden", _("卧床(已申请上门采样)")
    INFANT = "infant", _("低于本轮年龄下限")
    ROUND_RULE = "round_rule", _("本轮规则免检")


class Exemption(models.Model):
    """One person not to be sampled in one round, why, and who said so."""

    round = models.ForeignKey(
        "testing.TestingRound", verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="+"
    )
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("居民"),
        on_delete=models.CASCADE,
        related_name="exemptions",
    )
    reason = models.CharField(_("免检原因"), max_length=16, choices=ExemptReason.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("批准时间"), auto_now_add=True)
    path = models.CharField(_("户编码路径"), max_length=255)
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    district_code = models.CharField(_("区县代码"), max_length=6)

    class Meta:
        verbose_name = pgettext_lazy("singular", "免检")
        verbose_name_plural = pgettext_lazy("plural", "免检")
        constraints = [
            models.UniqueConstraint(fields=["round", "resident"], name="exemption_once_per_round")
        ]
        indexes = [
            models.Index(fields=["round", "path"], name="exemption_round_path"),
            models.Index(fields=["round", "grid"], name="exemption_round_grid"),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id}: {self.get_reason_display()}"


class KnockResult(models.TextChoices):
    NOBODY_HOME = "nobody_home", _("无人在家")
    SAMPLED_ELSEWHERE = "sampled_elsewhere", _("已在别处采样")
    REFUSED = "refused", _("拒绝采样")
    BEDRIDDEN = "bedridden", _("卧床,申请上门采样")
    MOVED_OUT = "moved_out", _("已搬离(变更户籍登记)")
    NEW_OCCUPANT = "new_occupant", _("新住户(登记入户)")


class DoorKnock(models.Model):
    """What a grid worker found at a household's door in a round (敲门行动)."""

    round = models.ForeignKey(
        "testing.TestingRound", verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="+"
    )
    household = models.ForeignKey(
        "territory.Node", verbose_name=_("户"), on_delete=models.PROTECT, related_name="+"
    )
    # The person the result is about; empty for "nobody home" about the whole household.
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("居民"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="door_knocks",
    )
    result = models.CharField(_("结果"), max_length=24, choices=KnockResult.choices)
    sampled_where = models.CharField(_("采样地点"), max_length=100, blank=True)
    sampled_when = models.DateTimeField(_("采样时间"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    path = models.CharField(_("户编码路径"), max_length=255)
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    district_code = models.CharField(_("区县代码"), max_length=6)

    class Meta:
        verbose_name = pgettext_lazy("singular", "敲门记录")
        verbose_name_plural = _("敲门记录")
        indexes = [
            models.Index(fields=["round", "path"], name="knock_round_path"),
            models.Index(fields=["round", "grid"], name="knock_round_grid"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.get_result_display()}"


class HomeSamplingStatus(models.TextChoices):
    OPEN = "open", _("待上门")
    DONE = "done", _("已上门采样")
    CANCELLED = "cancelled", _("已取消")


class HomeSamplingRequest(models.Model):
    """A bedridden person to be sampled at home in a round (上门采样)."""

    round = models.ForeignKey(
        "testing.TestingRound", verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="+"
    )
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("居民"),
        on_delete=models.CASCADE,
        related_name="home_sampling_requests",
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=HomeSamplingStatus.choices,
        default=HomeSamplingStatus.OPEN,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    # How the request was worked: done (with the tube or a note) or cancelled (why).
    closed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    tube_barcode = models.CharField(_("试管条码"), max_length=32, blank=True)
    outcome_note = models.CharField(_("处理说明或取消原因"), max_length=200, blank=True)
    path = models.CharField(_("户编码路径"), max_length=255)
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    district_code = models.CharField(_("区县代码"), max_length=6)

    class Meta:
        verbose_name = pgettext_lazy("singular", "上门采样申请")
        verbose_name_plural = _("上门采样申请")
        constraints = [
            models.UniqueConstraint(fields=["round", "resident"], name="home_sampling_once")
        ]
        indexes = [
            models.Index(fields=["round", "path"], name="home_sampling_round_path"),
            models.Index(fields=["round", "grid"], name="home_sampling_round_grid"),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id}: {self.get_status_display()}"


class NoteSource(models.TextChoices):
    RESIDENT = "resident", _("居民账号")
    DOOR_QR = "door_qr", _("门贴二维码")
    GRID_WORKER = "grid_worker", _("网格员代报")


class NoteStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("核对一致,无需上门")
    VISIT = "visit", _("不一致,需上门核实")


class DoorNote(models.Model):
    """A household's own statement for a round (门贴 / 自主申报), and how it compared.

    ``members`` is what the household listed: ``[{"name", "id_number", "sampled"}]``
    (``sampled`` true, false or null when not said); ``discrepancies`` is the comparison's
    answer: ``[{"kind", "message", "resident_id"}]``, empty when confirmed.
    """

    round = models.ForeignKey(
        "testing.TestingRound", verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="+"
    )
    household = models.ForeignKey(
        "territory.Node", verbose_name=_("户"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=16, choices=NoteSource.choices)
    reported_count = models.PositiveSmallIntegerField(_("申报人数"), null=True, blank=True)
    all_sampled = models.BooleanField(_("申报全部已采"), default=False)
    members = models.JSONField(_("申报成员"), default=list, blank=True)
    status = models.CharField(_("核对结果"), max_length=16, choices=NoteStatus.choices)
    discrepancies = models.JSONField(_("不一致之处"), default=list, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    path = models.CharField(_("户编码路径"), max_length=255)
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    district_code = models.CharField(_("区县代码"), max_length=6)

    class Meta:
        verbose_name = _("门贴申报")
        verbose_name_plural = pgettext_lazy("plural", "门贴申报")
        indexes = [
            models.Index(fields=["round", "path"], name="door_note_round_path"),
            models.Index(fields=["round", "grid"], name="door_note_round_grid"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.get_status_display()}"

    def discrepancy_messages(self) -> list[str]:
        """What disagreed, in the reader's language."""
        from wuyi.coverage.door_notes import message_of  # door_notes builds on these models

        return [message_of(d) for d in self.discrepancies]


class CommunityTally(models.Model):
    """The coverage counts of one community in one round, as of ``refreshed_at``.

    City-wide rollups by district and street sum these rows instead of scanning every
    resident of the city (see ``coverage.tallies``); pages show the refresh time.
    """

    round = models.ForeignKey(
        "testing.TestingRound", verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="+"
    )
    path = models.CharField(_("社区编码路径"), max_length=255)
    district_code = models.CharField(_("区县代码"), max_length=6)
    sampled = models.PositiveIntegerField(_("已采"), default=0)
    missing = models.PositiveIntegerField(_("未采"), default=0)
    reported = models.PositiveIntegerField(_("已在别处采样(待核实)"), default=0)
    away = models.PositiveIntegerField(_("免检:离市"), default=0)
    isolated = models.PositiveIntegerField(_("免检:隔离住院"), default=0)
    bedridden = models.PositiveIntegerField(_("免检:卧床"), default=0)
    infant = models.PositiveIntegerField(_("免检:低龄"), default=0)
    round_rule = models.PositiveIntegerField(_("免检:本轮规则"), default=0)
    refreshed_at = models.DateTimeField(_("统计时间"))

    class Meta:
        verbose_name = _("社区覆盖统计")
        verbose_name_plural = pgettext_lazy("plural", "社区覆盖统计")
        constraints = [
            models.UniqueConstraint(fields=["round", "path"], name="community_tally_unique")
        ]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.path}"


class TallyMark(models.Model):
    """How far a round's tallies have caught up: the last ``Sampled`` id counted."""

    round = models.OneToOneField(
        "testing.TestingRound", verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="+"
    )
    sampled_upto = models.BigIntegerField(_("已统计至采样记录"), default=0)
    refreshed_at = models.DateTimeField(_("统计时间"), null=True)

    class Meta:
        verbose_name = _("覆盖统计进度")
        verbose_name_plural = _("覆盖统计进度")

    def __str__(self) -> str:
        return f"{self.round_id}: {self.sampled_upto}"


for _label in (
    "coverage.exemption",
    "coverage.doorknock",
    "coverage.homesamplingrequest",
    "coverage.doornote",
    "coverage.communitytally",
):
    declare(_label, path="path", grid="grid")

# Progress marks hold no personal data and no territory: offices only, whole rows.
declare("coverage.tallymark", path=None, grid=None, roles=OFFICE_ROLES)
