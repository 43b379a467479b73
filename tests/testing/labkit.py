"""Helpers for the lab and results tests: labs, tubes filled through the real ingest, files."""

from __future__ import annotations

import datetime as dt
import io
import uuid

from wuyi.people import id_numbers
from wuyi.testing.ingest import ingest
from wuyi.testing.labs import hand_to_transport, pack_box, receive_box
from wuyi.testing.models import Lab, Tube


def make_lab(code: str = "LAB01", name: str = "太原市第一检测实验室", capacity: int = 0) -> Lab:
    return Lab.objects.create(code=code, name=name, district_code="140105", daily_capacity=capacity)


def stranger(seq: int) -> str:
    """A valid ID number nobody in the registry has."""
    return id_numbers.make("140106", dt.date(1991, 2, 3), 300 + seq, "M" if seq % 2 else "F")


def fill(rnd, barcode: str, people: list, seal: bool = True, site: str = "S1") -> Tube:
    """Bind ``people`` (residents, or ID-number strings of strangers) to a tube and seal it."""
    events = []
    for person in people:
        event = rnd.event(barcode, site=site)
        if isinstance(person, str):
            event.update(id_number=person, name="外来人员", phone="13700000000")
        else:
            event["token"] = person.code_token
        events.append(event)
    answers = ingest(events)
    assert all(a.status == "accepted" for a in answers), [a.as_dict() for a in answers]
    if seal and not answers[-1].sealed:  # a full tube has sealed itself
        assert ingest([rnd.event(barcode, site=site, type="seal")])[0].status == "accepted"
    return Tube.objects.get(barcode=barcode)


def deliver(lab: Lab, barcodes: list[str], box: str) -> None:
    """Box the sealed tubes, hand them to transport and receive them at ``lab``."""
    pack_box(box, barcodes, lab=lab)
    from wuyi.testing.models import TransportBox

    hand_to_transport(TransportBox.objects.get(code=box), "司机王师傅")
    receive_box(lab, box, "实验室李老师")


def wuyi_csv(rows: list[tuple], lab_column: bool = False, encoding: str = "utf-8") -> io.BytesIO:
    """A file in wuyi's format from (barcode, 结果, ORF1ab Ct, N Ct[, 实验室]) tuples."""
    header = "试管条码,检测结果,ORF1ab Ct,N Ct,检测时间" + (",实验室" if lab_column else "")
    lines = [header]
    for row in rows:
        barcode, outcome, ct1, ct2, *rest = row
        line = f"{barcode},{outcome},{ct1},{ct2},2026-11-29 14:00:00"
        if lab_column:
            line += f",{rest[0] if rest else ''}"
        lines.append(line)
    return io.BytesIO(("\n".join(lines) + "\n").encode(encoding))


def new_event_id() -> str:
    return str(uuid.uuid4())
