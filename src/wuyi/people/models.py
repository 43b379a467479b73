"""Residents of the city, each in one current household, with the history of their moves."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy


# Choice labels are shown in the reader's language. Spreadsheets import and export them
# in Chinese whatever the language: see ``chinese_labels``.
class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    PASSPORT = "passport", _("护照")
    HK_MACAO = "hk_macao", _("港澳居民来往内地通行证")
    TAIWAN = "taiwan", _("台湾居民来往大陆通行证")
    FOREIGN_PR = "foreign_pr", _("外国人永久居留身份证")
    BIRTH_CERT = "birth_cert", _("出生医学证明")
    OTHER = "other", _("其他证件")


class Status(models.TextChoices):
    PRESENT = "present", _("在住")
    AWAY = "away", _("外出")
    MOVED_OUT = "moved_out", _("已迁出")
    DECEASED = "deceased", _("已故")


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")
    UNKNOWN = "", _("未知")


def chinese_labels(choices: type[models.Choices]) -> dict[str, str]:
    """value → label as offices' spreadsheets write it (the Chinese source text), whatever
    the language in use: imports read these words and exports write them."""
    with translation.override(None):
        return {choice.value: str(choice.label) for choice in choices}


# The vulnerable flags services need, with the label offices use. The labels stay Chinese
# here (spreadsheets import and export them); gettext_noop marks them for the catalog, so
# a page or report shows gettext(label) in the reader's language.
FLAGS = {
    "elderly_alone": gettext_noop("独居老人"),
    "no_smartphone": gettext_noop("无智能手机"),
    "bedridden": gettext_noop("卧床"),
    "pregnant": gettext_noop("孕产妇"),
    "chronic_illness": gettext_noop("慢性病"),
    "infant": gettext_noop("婴幼儿"),
}


def new_code_token() -> str:
    """The opaque token in a resident's sampling QR code: never the ID number."""
    return secrets.token_urlsafe(12)


class Resident(models.Model):
    """A person registered in a household of the city."""

    name = models.CharField(_("姓名"), max_length=64)
    id_type = models.CharField(
        _("证件类型"), max_length=16, choices=IdType.choices, default=IdType.RESIDENT_ID
    )
    id_number = models.CharField(_("证件号码"), max_length=32)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    household = models.ForeignKey(
        "territory.Node",
        verbose_name=_("户"),
        on_delete=models.PROTECT,
        related_name="residents",
    )
    # Copies of the household's path, grid and district: residents are the largest table,
    # and scoping, coverage and rollups filter on these without a join.
    path = models.CharField(_("户编码路径"), max_length=255, db_index=True)
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="residents",
    )
    district_code = models.CharField(_("区县代码"), max_length=6, db_index=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PRESENT
    )
    elderly_alone = models.BooleanField(_(FLAGS["elderly_alone"]), default=False)
    no_smartphone = models.BooleanField(_(FLAGS["no_smartphone"]), default=False)
    bedridden = models.BooleanField(_(FLAGS["bedridden"]), default=False)
    pregnant = models.BooleanField(_(FLAGS["pregnant"]), default=False)
    chronic_illness = models.BooleanField(_(FLAGS["chronic_illness"]), default=False)
    infant = models.BooleanField(_(FLAGS["infant"]), default=False)
    code_token = models.CharField(
        _("采样码令牌"), max_length=32, unique=True, default=new_code_token
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = pgettext_lazy("plural", "居民")
        constraints = [
            models.UniqueConstraint(fields=["id_type", "id_number"], name="resident_id_unique"),
        ]
        indexes = [models.Index(fields=["grid", "status"], name="resident_grid_status")]

    def __str__(self) -> str:
        return self.name

    @property
    def flags(self) -> list[str]:
        return [label for field, label in FLAGS.items() if getattr(self, field)]


class Residence(models.Model):
    """One stay of a resident in a household; moves close one and open the next."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("居民"), on_delete=models.CASCADE, related_name="residences"
    )
    household = models.ForeignKey(
        "territory.Node", verbose_name=_("户"), on_delete=models.PROTECT, related_name="residences"
    )
    district_code = models.CharField(_("区县代码"), max_length=6)
    moved_in = models.DateField(_("迁入日期"))
    moved_out = models.DateField(_("迁出日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("居住记录")
        verbose_name_plural = pgettext_lazy("plural", "居住记录")
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=models.Q(moved_out__isnull=True),
                name="one_current_residence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident} @ {self.household}"
