"""Door notes: every way a note can disagree with the registry and the round's scans."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import City
from wuyi.coverage.door_knocking import grant_exemption
from wuyi.coverage.door_notes import (
    DiscrepancyKind,
    ElsewhereScan,
    Listed,
    Member,
    Note,
    NoteError,
    compare,
    parse_listed,
    submit,
)
from wuyi.coverage.models import DoorNote, ExemptReason, NoteSource, NoteStatus

ZHANG = Member(1, "张丽", "140105198005010110", present=True, sampled=True, exempt=False)
WANG = Member(2, "王刚", "140105197801010113", present=True, sampled=True, exempt=False)
CHILD = Member(3, "王小明", "140105201001010117", present=True, sampled=False, exempt=False)
AWAY = Member(4, "王芳", "140105200201010128", present=False, sampled=False, exempt=True)


def kinds(verdict) -> list[str]:
    return [d.kind for d in verdict.discrepancies]


def test_a_note_that_agrees_confirms_the_household():
    verdict = compare(Note(reported_count=2, all_sampled=True), [ZHANG, WANG, AWAY])
    assert verdict.confirmed and verdict.discrepancies == []


def test_a_different_number_of_people_is_flagged():
    verdict = compare(Note(reported_count=3, all_sampled=True), [ZHANG, WANG])
    assert kinds(verdict) == [DiscrepancyKind.COUNT_DIFFERS]
    assert verdict.discrepancies[0].message == "门贴写3人,登记在住2人"


def test_all_sampled_with_a_member_who_has_no_scan_is_flagged_naming_the_member():
    verdict = compare(Note(reported_count=3, all_sampled=True), [ZHANG, WANG, CHILD])
    assert kinds(verdict) == [DiscrepancyKind.MEMBER_NOT_SAMPLED]
    assert verdict.discrepancies[0].resident_id == 3
    assert "王*明" in verdict.discrepancies[0].message  # names are masked in the verdict


def test_an_exempt_member_without_a_scan_does_not_contradict_all_sampled():
    bedridden = Member(5, "王奶奶", "140105193001010125", present=True, sampled=False, exempt=True)
    assert compare(Note(reported_count=3, all_sampled=True), [ZHANG, WANG, bedridden]).confirmed


def test_a_listed_member_said_sampled_without_a_scan_is_flagged():
    note = Note(listed=(Listed("张丽", sampled=True), Listed("王小明", sampled=True)))
    verdict = compare(note, [ZHANG, CHILD])
    assert kinds(verdict) == [DiscrepancyKind.MEMBER_NOT_SAMPLED]


def test_a_registered_member_missing_from_the_list_is_flagged():
    verdict = compare(Note(listed=(Listed("张丽", sampled=True),)), [ZHANG, WANG])
    assert kinds(verdict) == [DiscrepancyKind.MEMBER_NOT_LISTED]
    assert verdict.discrepancies[0].resident_id == 2


def test_a_member_the_note_itself_says_was_not_sampled_needs_a_visit():
    note = Note(listed=(Listed("张丽", sampled=True), Listed("王小明", sampled=False)))
    verdict = compare(note, [ZHANG, CHILD])
    assert kinds(verdict) == [DiscrepancyKind.REPORTED_NOT_SAMPLED]


def test_said_not_sampled_but_scanned_is_flagged():
    note = Note(listed=(Listed("张丽", sampled=False),))
    assert kinds(compare(note, [ZHANG])) == [DiscrepancyKind.REPORTED_NOT_SAMPLED_BUT_SCANNED]


def test_a_scan_in_another_households_name_is_flagged_with_where_it_is_registered():
    note = Note(listed=(Listed("张丽", sampled=True), Listed("李强", sampled=True)))
    elsewhere = {"李强": ElsewhereScan(resident_id=9, household_name="2号楼1单元101")}
    verdict = compare(note, [ZHANG], elsewhere)
    assert kinds(verdict) == [DiscrepancyKind.SCAN_OTHER_HOUSEHOLD]
    assert verdict.discrepancies[0].message == "李*未登记在本户,本轮采样记录登记在2号楼1单元101"
    assert verdict.discrepancies[0].resident_id == 9


def test_a_listed_person_unknown_to_the_registry_and_the_scans_is_flagged():
    note = Note(listed=(Listed("张丽", sampled=True), Listed("赵六", sampled=True)))
    assert kinds(compare(note, [ZHANG])) == [DiscrepancyKind.UNKNOWN_PERSON]


def test_listed_people_are_matched_by_id_number_when_given():
    note = Note(listed=(Listed("张 丽", id_number="140105198005010110", sampled=True),))
    assert compare(note, [ZHANG]).confirmed


def test_several_discrepancies_are_all_shown():
    note = Note(reported_count=4, listed=(Listed("张丽", sampled=True), Listed("赵六")))
    verdict = compare(note, [ZHANG, WANG])
    assert set(kinds(verdict)) == {
        DiscrepancyKind.COUNT_DIFFERS,
        DiscrepancyKind.UNKNOWN_PERSON,
        DiscrepancyKind.MEMBER_NOT_LISTED,
    }


def test_an_empty_note_is_refused():
    with pytest.raises(NoteError, match="人数"):
        compare(Note(), [ZHANG])


def test_listed_lines_are_parsed_and_bad_lines_are_named():
    people = parse_listed("张丽 已采\n王刚 140105197801010113 未采\n\n王小明")
    assert people == [
        Listed("张丽", "", True),
        Listed("王刚", "140105197801010113", False),
        Listed("王小明", "", None),
    ]
    with pytest.raises(NoteError, match="第2行"):
        parse_listed("张丽 已采\n王 刚 小 明 已采")


# --- With the database: members, scans and the stored verdict --------------------------


def test_a_note_that_agrees_is_stored_as_confirmed(city, rnd):
    rnd.sample(city.alice)
    note = submit(
        rnd.round, city.home1, Note(reported_count=1, all_sampled=True), NoteSource.DOOR_QR
    )
    assert note.status == NoteStatus.CONFIRMED and note.discrepancies == []
    assert note.path == city.home1.path and note.grid_id == city.grid_a.pk


def test_a_member_without_a_scan_is_stored_as_visit_with_the_discrepancy(city, rnd):
    note = submit(rnd.round, city.home1, Note(reported_count=1, all_sampled=True))
    assert note.status == NoteStatus.VISIT
    assert [d["kind"] for d in note.discrepancies] == ["member_not_sampled"]
    assert note.discrepancies[0]["resident_id"] == city.alice.pk


def test_an_exempt_member_is_not_held_against_the_note(city, rnd):
    grant_exemption(rnd.round, city.alice, ExemptReason.ISOLATED)
    note = submit(rnd.round, city.home1, Note(reported_count=1, all_sampled=True))
    assert note.status == NoteStatus.CONFIRMED


def test_a_scan_of_a_person_registered_next_door_is_found(city, rnd):
    # 李强 lives with 张丽 but is registered in 2号楼 and was scanned under that registration.
    rnd.sample(city.alice)
    rnd.sample(city.bob)
    note = submit(
        rnd.round,
        city.home1,
        Note(reported_count=2, listed=(Listed("张丽", sampled=True), Listed("李强", sampled=True))),
    )
    assert [d["kind"] for d in note.discrepancies] == ["count_differs", "scan_other_household"]
    assert note.discrepancies[1]["resident_id"] == city.bob.pk
    assert "电子二所家属楼2号楼1单元101" in note.discrepancies[1]["message"]


def test_a_stored_discrepancy_reads_in_the_language_of_whoever_reads_it(city, rnd):
    # Submitted from an English page, read from a Chinese one and back: the note keeps
    # the kind and its values, and its message in the default language for other readers.
    with translation.override("en"):
        note = submit(rnd.round, city.home1, Note(reported_count=3))
        assert note.discrepancy_messages() == [
            "Number on the door note: 3; registered as living here: 1"
        ]
    stored = DoorNote.objects.get(pk=note.pk)
    assert stored.discrepancies[0]["message"] == "门贴写3人,登记在住1人"
    assert stored.discrepancies[0]["params"] == {"reported": 3, "living": 1}
    assert stored.discrepancy_messages() == ["门贴写3人,登记在住1人"]
    with translation.override("en"):
        assert stored.discrepancy_messages() == [
            "Number on the door note: 3; registered as living here: 1"
        ]


def test_a_discrepancy_stored_without_its_values_shows_its_message_as_stored(city, rnd):
    note = submit(rnd.round, city.home1, Note(reported_count=3))
    note.discrepancies = [{"kind": "count_differs", "message": "门贴写3人,登记在住1人"}]
    with translation.override("en"):
        assert note.discrepancy_messages() == ["门贴写3人,登记在住1人"]


def test_a_person_given_by_id_number_is_found_across_the_city(city, rnd):
    stranger = City.resident("孙悟", city.home2, "140106", dt.date(1990, 2, 2), 41, "M")
    rnd.sample(stranger)
    listed = (Listed("张丽", sampled=True), Listed("孙悟", stranger.id_number, True))
    note = submit(rnd.round, city.home1, Note(listed=listed))
    assert [d["kind"] for d in note.discrepancies] == [
        "scan_other_household",
        "member_not_sampled",
    ]


def test_a_note_on_something_other_than_a_household_is_refused(city, rnd):
    with pytest.raises(NoteError, match="不是户"):
        submit(rnd.round, city.unit1, Note(reported_count=1, all_sampled=True))


NAMES = st.text(alphabet="王李张刘陈杨赵黄周吴丽强敏军芳", min_size=1, max_size=4)


@given(
    st.lists(
        st.tuples(
            NAMES, st.sampled_from(["", "140105198005010110"]), st.sampled_from([True, False, None])
        ),
        max_size=8,
    )
)
def test_parsing_a_listed_note_gives_back_what_was_written(people):
    words = {True: " 已采", False: " 未采", None: ""}
    text = "\n".join(
        f"{name} {number}{words[sampled]}".replace("  ", " ") for name, number, sampled in people
    )
    assert parse_listed(text) == [Listed(name, number, sampled) for name, number, sampled in people]
