"""Mass testing: rounds, sampling sites and desks, tubes, scans, transport, labs and results.

The flow a tube goes through, and the table that records each step:

    TestingRound ─ RoundZone (area and pool size per node)
                 ─ RoundSite (which sites sample in the round, the nodes each serves)
    SamplingSite ─ Desk                      DeviceToken (a phone/PDA of a site or lab)
    Tube  ← Scan (one per device event: a person bound to a tube, or a seal)
          → TransportBox (site → transport → lab) → Lab → Result
    Sampled (the first accepted scan of a resident in a round: coverage counts it once)
    RetestTask (single-tube retest of a positive pool's members, or resample of an invalid tube)

Every large table (tubes, scans, sampled markers, results, tasks) carries ``district_code``
so the schema can be distributed by district, and a ``path`` copy for scoping without joins.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("筹备中")
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")


class PoolSize(models.IntegerChoices):
    """How many people's swabs share one tube. ``HOUSEHOLD`` is one household per tube."""

    HOUSEHOLD = 0, _("一户一管")
    SINGLE = 1, _("单管单采")
    FIVE = 5, _("5合1混采")
    TEN = 10, _("10合1混采")
    TWENTY = 20, _("20合1混采")


# A household tube holds one household; the largest pooled tube holds 20, so a household
# tube never takes more than that (larger households use a second tube).
HOUSEHOLD_TUBE_CAPACITY = 20


def tube_capacity(pool_size: int) -> int:
    """How many people a tube of ``pool_size`` takes before it seals itself."""
    return HOUSEHOLD_TUBE_CAPACITY if pool_size == PoolSize.HOUSEHOLD else int(pool_size)


class TestingRound(models.Model):
    """A mass testing campaign (全员核酸 / 区域核酸筛查) for an area on given days."""

    __test__ = False  # the name starts with "Test": keep pytest from collecting it

    code = models.CharField(_("轮次编号"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    status = models.CharField(
        _("状态"), max_length=16, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    # Used where no zone of the round sets its own pool size.
    default_pool_size = models.PositiveSmallIntegerField(
        _("默认混采方式"), choices=PoolSize.choices, default=PoolSize.TEN
    )
    # Target population: residents present in the area within these ages (None: no limit);
    # e.g. rounds that exempt infants under 3 set min_age_years=3.
    min_age_years = models.PositiveSmallIntegerField(_("最小年龄(岁)"), null=True, blank=True)
    max_age_years = models.PositiveSmallIntegerField(_("最大年龄(岁)"), null=True, blank=True)
    # Result-time limits: a tube sealed but not received within seal_to_receipt_hours, or
    # received without result within receipt_to_result_hours, is listed as overdue.
    seal_to_receipt_hours = models.PositiveSmallIntegerField(_("封管至接收时限(小时)"), default=4)
    receipt_to_result_hours = models.PositiveSmallIntegerField(
        _("接收至出结果时限(小时)"), default=12
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("检测轮次")
        verbose_name_plural = _("检测轮次")
        ordering = ["-start_date", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="round_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RoundZone(models.Model):
    """One node of a round's area, with the pool size used there.

    The round's area is the union of its zones. Zones may nest: the deepest zone above a
    place decides its pool size (a sealed compound at single tubes inside a 20-in-1 district).
    """

    round = models.ForeignKey(
        TestingRound, verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="zones"
    )
    node = models.ForeignKey(
        "territory.Node", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(_("编码路径"), max_length=255)
    district_code = models.CharField(_("区县代码"), max_length=6)
    pool_size = models.PositiveSmallIntegerField(
        _("混采方式"), choices=PoolSize.choices, default=PoolSize.TEN
    )

    class Meta:
        verbose_name = _("轮次区域")
        verbose_name_plural = _("轮次区域")
        constraints = [
            models.UniqueConstraint(fields=["round", "node"], name="round_zone_unique"),
        ]
        indexes = [models.Index(fields=["round", "path"], name="round_zone_path")]

    def __str__(self) -> str:
        return f"{self.round} · {self.node}"


class SamplingSite(models.Model):
    """A place where swabs are taken (采样点); it has one or more desks (采样台)."""

    code = models.CharField(_("采样点编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    node = models.ForeignKey(
        "territory.Node",
        verbose_name=_("所在辖区"),
        on_delete=models.PROTECT,
        related_name="sampling_sites",
    )
    path = models.CharField(_("编码路径"), max_length=255, db_index=True)
    district_code = models.CharField(_("区县代码"), max_length=6, db_index=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("采样点")
        verbose_name_plural = _("采样点")

    def __str__(self) -> str:
        return self.name


class Desk(models.Model):
    """One sampling desk (采样台) of a site: one swab-taker and one scanner."""

    site = models.ForeignKey(
        SamplingSite, verbose_name=_("采样点"), on_delete=models.CASCADE, related_name="desks"
    )
    code = models.CharField(_("采样台编号"), max_length=16)
    name = models.CharField(_("名称"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("采样台")
        verbose_name_plural = _("采样台")
        constraints = [models.UniqueConstraint(fields=["site", "code"], name="desk_code_unique")]

    def __str__(self) -> str:
        return f"{self.site} · {self.name or self.code}"


class RoundSite(models.Model):
    """A sampling site working in a round, the nodes it serves and the pool size it uses."""

    round = models.ForeignKey(
        TestingRound, verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="round_sites"
    )
    site = models.ForeignKey(
        SamplingSite, verbose_name=_("采样点"), on_delete=models.PROTECT, related_name="round_sites"
    )
    # None: the pool size of the deepest zone above the site's node (see RoundZone).
    pool_size = models.PositiveSmallIntegerField(
        _("混采方式"), choices=PoolSize.choices, null=True, blank=True
    )
    served_nodes = models.ManyToManyField(
        "territory.Node", verbose_name=_("服务区域"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("轮次采样点")
        verbose_name_plural = _("轮次采样点")
        constraints = [
            models.UniqueConstraint(fields=["round", "site"], name="round_site_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.site}"


class SetupVersion(models.Model):
    """One row whose number the database renews whenever the round setup changes.

    The round setup is what a scan is decided against: rounds, their zones, sites, round
    sites, desks and device tokens. Triggers on those tables (migration 0006) set a new
    random number in the same transaction as the change; ``round_setup`` keeps the setup
    in each process and reads it again only when the number differs.
    """

    version = models.BigIntegerField(_("版本"))

    class Meta:
        verbose_name = _("轮次设置版本")
        verbose_name_plural = _("轮次设置版本")

    def __str__(self) -> str:
        return str(self.version)


class Lab(models.Model):
    """A testing lab (实验室 / 检测机构): receives tubes and reports results."""

    code = models.CharField(_("实验室编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    district_code = models.CharField(_("区县代码"), max_length=6, db_index=True)
    # Tubes a day it can run; the pool plan compares a round's need against the sum.
    daily_capacity = models.PositiveIntegerField(_("日检测能力(管)"), default=0)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("实验室")
        verbose_name_plural = _("实验室")

    def __str__(self) -> str:
        return self.name


def hash_token(secret: str) -> str:
    """Tokens are stored as their SHA-256: a leaked table does not let anyone post scans."""
    return hashlib.sha256(secret.encode()).hexdigest()


class DeviceToken(models.Model):
    """The API key of one sampling device (bound to a site) or lab instrument PC (to a lab).

    The secret is shown once when issued; only its hash is kept. Revoking is immediate.
    """

    name = models.CharField(_("设备名称"), max_length=64)
    site = models.ForeignKey(
        SamplingSite,
        verbose_name=_("采样点"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="device_tokens",
    )
    lab = models.ForeignKey(
        Lab,
        verbose_name=_("实验室"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="device_tokens",
    )
    token_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    # The first characters of the secret, so staff can tell tokens apart without the secret.
    prefix = models.CharField(_("令牌前缀"), max_length=8)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签发人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("设备令牌")
        verbose_name_plural = _("设备令牌")
        constraints = [
            models.CheckConstraint(
                condition=(Q(site__isnull=False) & Q(lab__isnull=True))
                | (Q(site__isnull=True) & Q(lab__isnull=False)),
                name="device_token_site_xor_lab",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(
        cls,
        name: str,
        site: SamplingSite | None = None,
        lab: Lab | None = None,
        created_by=None,
    ) -> tuple[DeviceToken, str]:
        """A new token and its secret; the secret is not stored and cannot be shown again."""
        secret = "wy_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            name=name,
            site=site,
            lab=lab,
            token_hash=hash_token(secret),
            prefix=secret[:8],
            created_by=created_by,
        )
        return token, secret

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class TubeStatus(models.TextChoices):
    OPEN = "open", _("采样中")
    SEALED = "sealed", _("已封管")
    IN_TRANSIT = "in_transit", _("转运中")
    RECEIVED = "received", _("已接收")
    RESULTED = "resulted", _("已出结果")


class BoxStatus(models.TextChoices):
    PACKING = "packing", _("装箱中")
    IN_TRANSIT = "in_transit", _("转运中")
    RECEIVED = "received", _("实验室已接收")


class TransportBox(models.Model):
    """A box of sealed tubes carried from a site to a lab, with each handover's time."""

    code = models.CharField(_("转运箱编号"), max_length=32, unique=True)
    round = models.ForeignKey(
        TestingRound, verbose_name=_("轮次"), on_delete=models.PROTECT, related_name="boxes"
    )
    site = models.ForeignKey(
        SamplingSite, verbose_name=_("采样点"), on_delete=models.PROTECT, related_name="boxes"
    )
    lab = models.ForeignKey(
        Lab,
        verbose_name=_("实验室"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="boxes",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=BoxStatus.choices, default=BoxStatus.PACKING
    )
    district_code = models.CharField(_("区县代码"), max_length=6, db_index=True)
    created_at = models.DateTimeField(_("装箱时间"), auto_now_add=True)
    handed_to_transport_at = models.DateTimeField(_("交接转运时间"), null=True, blank=True)
    transporter = models.CharField(_("转运人员"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("实验室接收时间"), null=True, blank=True)
    received_by = models.CharField(_("接收人员"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("转运箱")
        verbose_name_plural = _("转运箱")

    def __str__(self) -> str:
        return self.code


class Tube(models.Model):
    """One sampling tube, identified by its printed barcode; a pooled tube holds up to N swabs.

    A tube is created by the first scan into it and belongs to that scan's round and site
    for ever. ``member_count`` is maintained by ingest under a row lock and never exceeds
    ``capacity``.
    """

    barcode = models.CharField(_("试管条码"), max_length=32, unique=True)
    round = models.ForeignKey(
        TestingRound, verbose_name=_("轮次"), on_delete=models.PROTECT, related_name="tubes"
    )
    site = models.ForeignKey(
        SamplingSite, verbose_name=_("采样点"), on_delete=models.PROTECT, related_name="tubes"
    )
    desk = models.ForeignKey(
        Desk,
        verbose_name=_("采样台"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    pool_size = models.PositiveSmallIntegerField(_("混采方式"), choices=PoolSize.choices)
    capacity = models.PositiveSmallIntegerField(_("容量(人)"))
    member_count = models.PositiveSmallIntegerField(_("已采人数"), default=0)
    status = models.CharField(_("状态"), max_length=16, choices=TubeStatus.choices, default="open")
    opened_at = models.DateTimeField(_("开管时间"))
    sealed_at = models.DateTimeField(_("封管时间"), null=True, blank=True)
    box = models.ForeignKey(
        TransportBox,
        verbose_name=_("转运箱"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tubes",
    )
    lab = models.ForeignKey(
        Lab,
        verbose_name=_("实验室"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tubes",
    )
    received_at = models.DateTimeField(_("实验室接收时间"), null=True, blank=True)
    resulted_at = models.DateTimeField(_("出结果时间"), null=True, blank=True)
    # The site's path and district: tubes are scoped by where they were filled.
    path = models.CharField(_("采样点编码路径"), max_length=255)
    district_code = models.CharField(_("区县代码"), max_length=6, db_index=True)

    class Meta:
        verbose_name = _("采样管")
        verbose_name_plural = _("采样管")
        constraints = [
            models.CheckConstraint(
                condition=Q(member_count__lte=models.F("capacity")), name="tube_not_over_capacity"
            ),
        ]
        indexes = [
            models.Index(fields=["round", "status"], name="tube_round_status"),
            models.Index(fields=["site", "status"], name="tube_site_status"),
            # Overdue lists: sealed but not received, received but no result.
            models.Index(fields=["status", "sealed_at"], name="tube_status_sealed"),
            models.Index(fields=["status", "received_at"], name="tube_status_received"),
            models.Index(fields=["path"], name="tube_path"),
        ]

    def __str__(self) -> str:
        return self.barcode


class ScanKind(models.TextChoices):
    BIND = "bind", _("采样绑定")
    SEAL = "seal", _("封管")


class Outcome(models.TextChoices):
    ACCEPTED = "accepted", _("已接受")
    REJECTED = "rejected", _("已拒绝")


class RejectReason(models.TextChoices):
    """Why ingest refused an event; the label is the message sampling staff read."""

    TUBE_FULL = "tube_full", _("该管已满,请换新管")
    TUBE_SEALED = "tube_sealed", _("该管已封管,不能再加人")
    TUBE_OTHER_ROUND = "tube_other_round", _("该管属于其他检测轮次")
    TUBE_OTHER_SITE = "tube_other_site", _("该管属于其他采样点")
    MALFORMED_ID = "malformed_id", _("证件号码格式错误")
    PERSON_IN_TUBE = "person_in_tube", _("此人已在该管中")
    UNKNOWN_TOKEN = "unknown_token", _("采样码无效,请核对或改为录入证件号")
    UNKNOWN_ROUND = "unknown_round", _("检测轮次不存在或未开始")
    UNKNOWN_SITE = "unknown_site", _("采样点不存在或未参加本轮次")
    WRONG_SITE = "wrong_site", _("本设备或账号无权提交该采样点的数据")
    UNKNOWN_DESK = "unknown_desk", _("采样台不存在")
    MALFORMED_EVENT = "malformed_event", _("事件数据不完整或格式错误")
    EMPTY_TUBE = "empty_tube", _("空管不能封管")


class Scan(models.Model):
    """One event from a sampling device, kept with the answer ingest gave it.

    ``event_id`` is the UUID the device made: a retried event finds its row and gets the
    same answer, so nothing is ever bound twice. An accepted ``bind`` is a binding of a
    person to a tube; rejected events are kept too, so their answer is stable and the
    office can see what was refused and why. A person not in the registry (typed ID not
    found) has ``resident`` empty, the ID and phone given, and ``follow_up`` set.

    No foreign key constraints in the database (``db_constraint=False``), here and on
    ``Sampled``: ingest resolves every id it writes inside the same transaction, Django
    still enforces ``on_delete``, and the deferred checks were two thirds of
    PostgreSQL's cost of a binding (``wuyi bench ingest``: 100,000 rows in 2.3 s with
    them, 0.7 s without). Citus would refuse most of them anyway: between distributed
    tables a key must include the distribution column.
    """

    event_id = models.UUIDField(_("事件编号"), unique=True, default=uuid.uuid4)
    kind = models.CharField(_("类型"), max_length=8, choices=ScanKind.choices, default="bind")
    outcome = models.CharField(_("处理结果"), max_length=8, choices=Outcome.choices)
    reason = models.CharField(
        _("拒绝原因"), max_length=24, choices=RejectReason.choices, blank=True
    )
    round = models.ForeignKey(
        TestingRound,
        verbose_name=_("轮次"),
        null=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="scans",
        db_index=False,
    )
    site = models.ForeignKey(
        SamplingSite,
        verbose_name=_("采样点"),
        null=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="scans",
        db_index=False,
    )
    desk = models.ForeignKey(
        Desk,
        verbose_name=_("采样台"),
        null=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    tube = models.ForeignKey(
        Tube,
        verbose_name=_("采样管"),
        null=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="scans",
    )
    tube_barcode = models.CharField(_("试管条码"), max_length=32, blank=True)
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("居民"),
        null=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="scans",
    )
    # As typed or read from the device; for registered residents a copy of the registry's.
    id_type = models.CharField(_("证件类型"), max_length=16, blank=True)
    id_number = models.CharField(_("证件号码"), max_length=32, blank=True)
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    follow_up = models.BooleanField(_("需核查(未在册)"), default=False)
    device_time = models.DateTimeField(_("设备时间"), null=True)
    received_at = models.DateTimeField(_("接收时间"))
    # The resident's household path (or, for unregistered persons, the site's path),
    # copied so scans are scoped by territory without joins.
    path = models.CharField(_("编码路径"), max_length=255, blank=True)
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        null=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    district_code = models.CharField(_("区县代码"), max_length=6, blank=True)

    class Meta:
        verbose_name = _("扫码记录")
        verbose_name_plural = _("扫码记录")
        constraints = [
            # The database itself refuses a person twice in one tube, whatever the race.
            models.UniqueConstraint(
                fields=["tube", "resident"],
                condition=Q(outcome="accepted", kind="bind", resident__isnull=False),
                name="scan_person_once_per_tube",
            ),
        ]
        indexes = [
            # The follow-up list: unregistered persons sampled in a round.
            models.Index(
                fields=["round", "district_code"],
                condition=Q(follow_up=True),
                name="scan_follow_up",
            ),
        ]

    def __str__(self) -> str:
        return str(self.event_id)


class Sampled(models.Model):
    """A resident sampled in a round: the first accepted scan, so coverage counts people once.

    Coverage asks "who under node X was sampled in round R" across millions of residents;
    (round, path) answers it with one index range scan per node.
    """

    round = models.ForeignKey(
        TestingRound,
        verbose_name=_("轮次"),
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    # No index of its own: every lookup names the round too, which the unique (round,
    # resident) index serves; one index fewer to write per binding.
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("居民"),
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="sampled",
        db_index=False,
    )
    first_scan = models.ForeignKey(
        Scan,
        verbose_name=_("首次采样记录"),
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    sampled_at = models.DateTimeField(_("采样时间"))
    path = models.CharField(_("户编码路径"), max_length=255)
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        null=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    district_code = models.CharField(_("区县代码"), max_length=6)

    class Meta:
        verbose_name = _("已采样")
        verbose_name_plural = _("已采样")
        constraints = [
            models.UniqueConstraint(fields=["round", "resident"], name="sampled_once_per_round"),
        ]
        indexes = [
            models.Index(fields=["round", "path"], name="sampled_round_path"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.resident_id}"


class ResultOutcome(models.TextChoices):
    NEGATIVE = "negative", _("阴性")
    POSITIVE = "positive", _("阳性")
    INVALID = "invalid", _("无效(需重采)")


class ResultSource(models.TextChoices):
    FILE = "file", _("结果文件")
    API = "api", _("接口")
    HAND = "hand", _("手工录入")


class Result(models.Model):
    """A lab's result for one tube. One per tube: a conflicting second result is refused."""

    tube = models.OneToOneField(
        Tube, verbose_name=_("采样管"), on_delete=models.PROTECT, related_name="result"
    )
    lab = models.ForeignKey(
        Lab, verbose_name=_("实验室"), on_delete=models.PROTECT, related_name="results"
    )
    outcome = models.CharField(_("结果"), max_length=16, choices=ResultOutcome.choices)
    # Cycle threshold of each target gene; None where the instrument reports no Ct.
    ct_orf1ab = models.DecimalField(
        _("ORF1ab Ct值"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    ct_n = models.DecimalField(
        _("N基因 Ct值"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    ct_e = models.DecimalField(
        _("E基因 Ct值"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    reported_at = models.DateTimeField(_("报告时间"))
    source = models.CharField(_("来源"), max_length=8, choices=ResultSource.choices)
    source_name = models.CharField(_("来源文件/设备"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("入库时间"), auto_now_add=True)
    district_code = models.CharField(_("区县代码"), max_length=6, db_index=True)

    class Meta:
        verbose_name = _("检测结果")
        verbose_name_plural = _("检测结果")
        indexes = [models.Index(fields=["outcome", "reported_at"], name="result_outcome_time")]

    def __str__(self) -> str:
        return f"{self.tube_id}: {self.outcome}"


class TaskReason(models.TextChoices):
    POSITIVE_POOL = "positive_pool", _("混管阳性单管复核")
    INVALID = "invalid", _("结果无效重采")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待采样")
    SAMPLED = "sampled", _("已采样")
    DONE = "done", _("已出结果")
    CANCELLED = "cancelled", _("已取消")


class ControlState(models.TextChoices):
    """What a positive pool means for one of its members until the single-tube retest decides.

    Kept on the member's retest task (see ``testing/results.py``); the control app turns
    confirmed positives into risk persons.
    """

    TEMPORARY = "temporary", _("临时管控")
    RELEASED = "released", _("已解除(复核阴性)")
    CONFIRMED = "confirmed", _("复核阳性")


class RetestTask(models.Model):
    """A person to sample again: single-tube retest of a positive pool, or resample of an invalid tube."""

    round = models.ForeignKey(
        TestingRound, verbose_name=_("轮次"), on_delete=models.PROTECT, related_name="retest_tasks"
    )
    reason = models.CharField(_("原因"), max_length=16, choices=TaskReason.choices)
    source_tube = models.ForeignKey(
        Tube, verbose_name=_("原采样管"), on_delete=models.PROTECT, related_name="retest_tasks"
    )
    # The binding that put the person in the source tube (carries ID and phone of
    # unregistered persons, who have no resident row).
    source_scan = models.ForeignKey(
        Scan,
        verbose_name=_("原采样记录"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("居民"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retest_tasks",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    due_at = models.DateTimeField(_("完成时限"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # The single tube the retest went into, and when its result closed the task.
    new_tube = models.ForeignKey(
        Tube,
        verbose_name=_("复核采样管"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # The result that closed the task (the retest or resample tube's), and for members of a
    # positive pool their control state: temporary until that result releases or confirms.
    outcome = models.CharField(
        _("复核结果"), max_length=16, choices=ResultOutcome.choices, blank=True, default=""
    )
    control = models.CharField(
        _("管控状态"), max_length=16, choices=ControlState.choices, blank=True, default=""
    )
    path = models.CharField(_("编码路径"), max_length=255, blank=True)
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    district_code = models.CharField(_("区县代码"), max_length=6, db_index=True)

    class Meta:
        verbose_name = _("复核/重采任务")
        verbose_name_plural = _("复核/重采任务")
        constraints = [
            models.UniqueConstraint(
                fields=["source_tube", "source_scan"], name="retest_task_once_per_binding"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="retest_status_due"),
            models.Index(fields=["round", "path"], name="retest_round_path"),
            models.Index(fields=["control", "path"], name="retest_control_path"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} · {self.resident_id or self.source_scan_id}"
