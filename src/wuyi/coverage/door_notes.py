"""Door notes (门贴): a household's own statement compared with the registry and the scans.

In 光华街社区 residents taped "全家3个人已完成核酸采样" to their doors and the grid worker
checked it against the household's registered members and their sampling records, moving
on without knocking when it agreed. ``compare`` is that check as a pure function over
plain values, so every way a note can disagree is tested without a database; ``submit``
gathers the values, runs it and stores the note with its verdict.

A note says either "N people live here, all sampled" (``reported_count`` and
``all_sampled``) or lists people by name (with an ID number when the household gives one)
and whether each was sampled. The ways it can disagree (``Kind``):

* ``count_differs`` — N is not the number of people registered as living here;
* ``member_not_sampled`` — a registered member is said (or implied by "all sampled") to be
  sampled, but has no scan in the round and no exemption;
* ``member_not_listed`` — a registered member is missing from the note's list;
* ``reported_not_sampled`` — the note itself says a member was not sampled (a visit is due);
* ``scan_other_household`` — a person listed as living here is not registered here, and
  the round's scan for that name is of a resident registered in another household;
* ``unknown_person`` — a person listed as living here is neither registered here nor found
  in the round's scans;
* ``reported_not_sampled_but_scanned`` — the note says not sampled, the scans say sampled.

Any discrepancy flags the household for a visit, with every discrepancy spelled out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from wuyi.accounts import audit
from wuyi.coverage.models import DoorNote, NoteSource, NoteStatus
from wuyi.coverage.rollup import EXEMPT_REASONS, SAMPLED, resident_classes
from wuyi.people.masking import mask_name
from wuyi.people.models import IdType, Resident, Status
from wuyi.territory.models import Kind, Node
from wuyi.testing.models import Sampled


class DiscrepancyKind(StrEnum):
    COUNT_DIFFERS = "count_differs"
    MEMBER_NOT_SAMPLED = "member_not_sampled"
    MEMBER_NOT_LISTED = "member_not_listed"
    REPORTED_NOT_SAMPLED = "reported_not_sampled"
    SCAN_OTHER_HOUSEHOLD = "scan_other_household"
    UNKNOWN_PERSON = "unknown_person"
    REPORTED_NOT_SAMPLED_BUT_SCANNED = "reported_not_sampled_but_scanned"


# One message per kind, with its values filled in when read.
MESSAGES = {
    DiscrepancyKind.COUNT_DIFFERS: gettext_noop("门贴写%(reported)s人,登记在住%(living)s人"),
    DiscrepancyKind.SCAN_OTHER_HOUSEHOLD: gettext_noop(
        "%(name)s未登记在本户,本轮采样记录登记在%(household)s"
    ),
    DiscrepancyKind.UNKNOWN_PERSON: gettext_noop("%(name)s未登记在本户,本轮也没有其采样记录"),
    DiscrepancyKind.MEMBER_NOT_LISTED: gettext_noop("登记在住的%(name)s未列在门贴上"),
    DiscrepancyKind.MEMBER_NOT_SAMPLED: gettext_noop("门贴称%(name)s已采样,但本轮没有其采样记录"),
    DiscrepancyKind.REPORTED_NOT_SAMPLED_BUT_SCANNED: gettext_noop(
        "门贴称%(name)s未采样,但本轮已有其采样记录"
    ),
    DiscrepancyKind.REPORTED_NOT_SAMPLED: gettext_noop("门贴称%(name)s未采样,需上门采样或登记原因"),
}


class NoteError(ValueError):
    """A note that cannot be compared: what is wrong with it, in words a resident reads."""


@dataclass(frozen=True)
class Member:
    """A registered member of the household as the round sees them."""

    resident_id: int
    name: str
    id_number: str
    present: bool  # living here now (status present), not away from the city
    sampled: bool
    exempt: bool


@dataclass(frozen=True)
class Listed:
    """A person as the note lists them; ``sampled`` is None when the note does not say."""

    name: str
    id_number: str = ""
    sampled: bool | None = None


@dataclass(frozen=True)
class ElsewhereScan:
    """A round scan of a listed person who is registered in another household."""

    resident_id: int
    household_name: str


@dataclass(frozen=True)
class Note:
    reported_count: int | None = None
    all_sampled: bool = False
    listed: tuple[Listed, ...] = ()


@dataclass
class Discrepancy:
    kind: str
    params: dict
    resident_id: int | None = None

    @property
    def message(self) -> str:
        """In the language of whoever reads it now."""
        return gettext(MESSAGES[self.kind]) % self.params

    def as_dict(self) -> dict:
        # The kind and its values are stored, so each reader gets the message in their own
        # language (``message_of``); the message itself is kept in the default language for
        # whoever reads the JSON without wuyi.
        with translation.override(settings.LANGUAGE_CODE):
            message = self.message
        return {
            "kind": self.kind,
            "params": self.params,
            "message": message,
            "resident_id": self.resident_id,
        }


def message_of(stored: dict) -> str:
    """A stored discrepancy's message in the active language (notes stored before their
    values were kept show the message as it was stored)."""
    template = MESSAGES.get(stored.get("kind"))
    params = stored.get("params")
    if template is None or params is None:
        return stored.get("message", "")
    return gettext(template) % params


@dataclass
class Verdict:
    discrepancies: list[Discrepancy] = field(default_factory=list)

    @property
    def confirmed(self) -> bool:
        return not self.discrepancies


def _matches(listed: Listed, member: Member) -> bool:
    if listed.id_number:
        return listed.id_number.upper() == member.id_number.upper()
    return listed.name.strip() == member.name


def compare(
    note: Note, members: list[Member], elsewhere: dict[str, ElsewhereScan] | None = None
) -> Verdict:
    """Compare a note with the household's members; ``elsewhere`` maps a listed name that is
    not registered here to the scan found for that person in another household's name."""
    if note.reported_count is None and not note.listed:
        raise NoteError(gettext("门贴至少要写明人数,或列出家庭成员"))
    elsewhere = elsewhere or {}
    verdict = Verdict()
    out = verdict.discrepancies
    living = [m for m in members if m.present]

    if note.reported_count is not None and note.reported_count != len(living):
        out.append(
            Discrepancy(
                DiscrepancyKind.COUNT_DIFFERS,
                {"reported": note.reported_count, "living": len(living)},
            )
        )

    matched: dict[int, Listed] = {}
    for listed in note.listed:
        member = next((m for m in members if _matches(listed, m)), None)
        if member is not None:
            matched[member.resident_id] = listed
            continue
        found = elsewhere.get(listed.name.strip())
        if found is not None:
            out.append(
                Discrepancy(
                    DiscrepancyKind.SCAN_OTHER_HOUSEHOLD,
                    {"name": mask_name(listed.name), "household": found.household_name},
                    found.resident_id,
                )
            )
        else:
            out.append(
                Discrepancy(
                    DiscrepancyKind.UNKNOWN_PERSON,
                    {"name": mask_name(listed.name)},
                )
            )

    for member in living:
        listed = matched.get(member.resident_id)
        shown = mask_name(member.name)
        if note.listed and listed is None:
            out.append(
                Discrepancy(
                    DiscrepancyKind.MEMBER_NOT_LISTED,
                    {"name": shown},
                    member.resident_id,
                )
            )
        said_sampled = listed.sampled if listed is not None else None
        if said_sampled is None and note.all_sampled:
            said_sampled = True
        if said_sampled is True and not member.sampled and not member.exempt:
            out.append(
                Discrepancy(
                    DiscrepancyKind.MEMBER_NOT_SAMPLED,
                    {"name": shown},
                    member.resident_id,
                )
            )
        elif said_sampled is False and member.sampled:
            out.append(
                Discrepancy(
                    DiscrepancyKind.REPORTED_NOT_SAMPLED_BUT_SCANNED,
                    {"name": shown},
                    member.resident_id,
                )
            )
        elif said_sampled is False and not member.exempt:
            out.append(
                Discrepancy(
                    DiscrepancyKind.REPORTED_NOT_SAMPLED,
                    {"name": shown},
                    member.resident_id,
                )
            )
    return verdict


def household_members(round_, household: Node) -> list[Member]:
    """The household's registered members with their class in the round."""
    residents = list(
        Resident.objects.filter(household=household, status__in=[Status.PRESENT, Status.AWAY])
    )
    classes = resident_classes(round_, Resident.objects.filter(household=household))
    return [
        Member(
            resident_id=r.pk,
            name=r.name,
            id_number=r.id_number,
            present=r.status == Status.PRESENT,
            sampled=classes.get(r.pk) == SAMPLED,
            exempt=classes.get(r.pk) in EXEMPT_REASONS,
        )
        for r in residents
    ]


def find_elsewhere(
    round_, household: Node, listed: list[Listed], members: list[Member]
) -> dict[str, ElsewhereScan]:
    """Round scans of listed people who are registered in another household.

    A person given with an ID number is looked up by it (an indexed, city-wide lookup);
    a person given by name only is looked up among the residents of the same community,
    since a name alone is not unique in a city.
    """
    found: dict[str, ElsewhereScan] = {}
    community_path = _community_path(household)
    for person in listed:
        if any(_matches(person, m) for m in members):
            continue
        candidates = Resident.objects.exclude(household=household)
        if person.id_number:
            # Every ID type, so the (type, number) unique index answers it.
            candidates = candidates.filter(
                id_type__in=IdType.values, id_number=person.id_number.upper()
            )
        else:
            candidates = candidates.filter(name=person.name.strip())
            if community_path:
                candidates = candidates.filter(path__startswith=community_path + ".")
        sampled = (
            Sampled.objects.filter(round=round_, resident__in=candidates)
            .select_related("resident__household")
            .first()
        )
        if sampled is not None:
            found[person.name.strip()] = ElsewhereScan(
                resident_id=sampled.resident_id,
                household_name=_household_label(sampled.resident.household),
            )
    return found


def _community_path(household: Node) -> str:
    parts = household.path.split(".")
    return ".".join(parts[:3]) if len(parts) >= 3 else ""


def _household_label(household: Node) -> str:
    """Where a household is, as a grid worker says it: 1号楼1单元101."""
    names = []
    node: Node | None = household
    while node is not None and node.kind in (Kind.HOUSEHOLD, Kind.UNIT, Kind.BUILDING):
        names.append(node.name)
        node = node.parent
    if node is not None and node.kind == Kind.COMPOUND:
        names.append(node.name)
    return "".join(reversed(names))


def parse_listed(text: str) -> list[Listed]:
    """Lines of a listed note: ``姓名 [证件号] 已采|未采`` (one person per line).

    The last word says whether the person was sampled (已采/已做/是 or 未采/未做/否);
    without it the note does not say.
    """
    yes = {"已采", "已做", "已采样", "是", "已完成"}
    no = {"未采", "未做", "未采样", "否", "未完成"}
    people = []
    for number, raw in enumerate(text.splitlines(), start=1):
        words = raw.replace(",", " ").replace(",", " ").split()
        if not words:
            continue
        sampled: bool | None = None
        if words[-1] in yes:
            sampled, words = True, words[:-1]
        elif words[-1] in no:
            sampled, words = False, words[:-1]
        if not words or len(words) > 2:
            raise NoteError(
                gettext("第%(line)s行应为“姓名 [证件号] 已采/未采”,收到:%(text)s")
                % {"line": number, "text": raw.strip()}
            )
        people.append(
            Listed(name=words[0], id_number=words[1] if len(words) == 2 else "", sampled=sampled)
        )
    return people


@transaction.atomic
def submit(
    round_,
    household: Node,
    note: Note,
    source: str = NoteSource.GRID_WORKER,
    user=None,
) -> DoorNote:
    """Compare ``note`` with the registry and the round's scans and store it with the verdict."""
    if household.kind != Kind.HOUSEHOLD:
        raise NoteError(gettext("%(place)s不是户,门贴只能针对一户") % {"place": household.name})
    members = household_members(round_, household)
    elsewhere = find_elsewhere(round_, household, list(note.listed), members)
    verdict = compare(note, members, elsewhere)
    door_note = DoorNote.objects.create(
        round=round_,
        household=household,
        source=source,
        reported_count=note.reported_count,
        all_sampled=note.all_sampled,
        members=[
            {"name": p.name, "id_number": p.id_number, "sampled": p.sampled} for p in note.listed
        ],
        status=NoteStatus.CONFIRMED if verdict.confirmed else NoteStatus.VISIT,
        discrepancies=[d.as_dict() for d in verdict.discrepancies],
        submitted_by=user if getattr(user, "is_authenticated", False) else None,
        path=household.path,
        grid_id=household.grid_id,
        district_code=household.district_code,
    )
    audit.record("create", door_note, user=user, after={"status": door_note.status})
    return door_note
