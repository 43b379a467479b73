"""Reading a risk-area notice: ``wuyi notice parse FILE --json``.

A notice (通告) as published, or as reposted by a news site inside a newspaper page,
becomes issuer, number, date, policy basis and sections (new high, new medium, lowered),
each with its districts, their declared counts and their items split into address parts
by ``wuyi.territory.addresses.parse_address``. Every disagreement between a declared
count and the items found is reported, never silently fixed.

Why the line handling: news sites break lines in the middle of items ("怡\\n\\n佳天一城
小区"), so a line that does not end a sentence is joined to the next, unless the next one
starts a new header or a numbered item. Everything is bounded: input size is capped and
every pattern is anchored with bounded repetition.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext

from wuyi.risk import policy
from wuyi.territory.addresses import (
    AddressError,
    _split_top,
    chinese_number,
    clean,
    format_address,
    parse_address,
)

MAX_NOTICE_CHARS = 1_000_000  # a newspaper page is ~10,000; a year of notices fits many times


class NoticeError(ValueError):
    """Text that is not a readable notice; the message says what and where, in Chinese."""


_CN_NUM = r"(?:\d{1,6}|[一二三四五六七八九十百两〇零]{1,5})"
_COUNT = rf"(?:[(]?(?:共)?(?P<count>{_CN_NUM})(?:个|处)[)]?)"
_LEVEL = r"(?P<level>高|中|低)"
_AREA = r"风险(?:区域|地区|区)"
SECTION = re.compile(
    r"(?:^|(?<=[\n。;:]))(?:[一二三四五六七八九十]{1,3}[、.]|\d{1,2}[、.])?"
    r"(?:(?P<new>新增|新划定|划定|增加|新设)"
    rf"|(?P<lowered>(?:(?:高|中)风险(?:区|区域)?)?(?:调整为|降为|降级为|调整至|调整降为))"
    r"|(?P<lifted>解除|撤销|解封))?"
    rf"{_LEVEL}{_AREA}{_COUNT}?"
    r"(?:[,]?(?:分别是|分别为|具体如下|如下|为|包括|名单如下))?(?P<end>:|(?=\n))"
)
DISTRICT = re.compile(
    r"(?:^|(?<=[\n。;:]))(?:[一二三四五六七八九十]{1,3}[、.]|\d{1,2}[、.]|[(][一二三四五六七八九十\d]{1,3}[)])?"
    r"(?P<name>[^\n。;:,、()]{1,10}?(?:区|县|市|旗))"
    rf"{_COUNT}?:"
)
NUMBER = re.compile(rf"第(?P<number>{_CN_NUM})号")
ISSUER_BEFORE_NUMBER = re.compile(
    r"(?P<issuer>[^\n,。、:()]{2,40}?(?:防控办|防控办公室|指挥部|领导小组|办公室|委员会))"
    rf"(?:发布|印发)?(?:的)?(?:第(?P<number>{_CN_NUM})号)"
)
FULL_DATE = re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日")
MONTH_DAY = re.compile(r"(?P<m>\d{1,2})月(?P<d>\d{1,2})日")
BASIS = re.compile(r"根据(?P<basis>[^\n。]{2,300}?)(?:的)?(?:有关|相关)?(?:规定|要求|精神)")
ITEM_ORDINAL = re.compile(r"^(?:\d{1,3}[.、)]|[(]\d{1,3}[)]|[一二三四五六七八九十]{1,3}、)")
_TERMINATORS = "。:;!?"
# Control characters (Unicode category Cc) other than line breaks and tabs.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BOUND_START = re.compile(r"[东西南北](?:侧)?至")
# Far beyond any real notice (a few sections, a city's 10–30 districts); a guard for time.
MAX_SECTIONS = 100
MAX_DISTRICTS = 1000
MAX_ITEMS = 50_000


def _count(text: str | None) -> int | None:
    if not text:
        return None
    if text.isdigit():
        return int(text)
    value = chinese_number(text.replace("百", ""))
    if "百" in text:  # "一百零五" is rare in notices; keep it simple and exact
        head, _, tail = text.partition("百")
        hundreds = chinese_number(head) or 1
        rest = chinese_number(tail.lstrip("零")) or 0
        return hundreds * 100 + rest
    return value


def read_text(data: bytes | str) -> str:
    """Decoded, size-checked text; NoticeError for binary or oversized input."""
    if isinstance(data, bytes):
        if len(data) > MAX_NOTICE_CHARS * 4:
            raise NoticeError(
                gettext("文件过大(%(size)s字节),通告文本最多%(max)s字")
                % {"size": len(data), "max": MAX_NOTICE_CHARS}
            )
        if b"\x00" in data[:65536]:
            raise NoticeError(gettext("这不是文本文件(含有二进制零字节),请提供通告的文字"))
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                data = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise NoticeError(gettext("无法识别文件编码(应为 UTF-8 或 GB18030)"))
    assert isinstance(data, str)
    if len(data) > MAX_NOTICE_CHARS:
        raise NoticeError(
            gettext("文本过长(%(size)s字),通告文本最多%(max)s字")
            % {"size": len(data), "max": MAX_NOTICE_CHARS}
        )
    controls = len(_CONTROLS.findall(data))
    if "\x00" in data or (data and controls > max(8, len(data) // 100)):
        raise NoticeError(gettext("这不是文本文件(含有大量控制字符),请提供通告的文字"))
    if not data.strip():
        raise NoticeError(gettext("通告为空"))
    return data


def _starts_header(line: str) -> bool:
    return bool(SECTION.match(line) or DISTRICT.match(line) or ITEM_ORDINAL.match(line))


def _is_section_line(line: str) -> bool:
    """A whole line that is a section header without a colon ("一、新增高风险区(3个)")."""
    match = SECTION.match(line + "\n")
    return bool(match and match.end() == len(line))


def join_lines(text: str) -> str:
    """Paragraphs, one per line: soft line breaks (mid-sentence) are removed."""
    lines = [clean(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if not line:
            continue
        if (
            out
            and out[-1][-1] not in _TERMINATORS
            and not _starts_header(line)
            and not _is_section_line(out[-1])
        ):
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)


def _section_level(match: re.Match) -> tuple[str, str]:
    level = {"高": "high", "中": "medium", "低": "low"}[match.group("level")]
    if match.group("lifted"):
        return "lowered", "low"
    if match.group("lowered") or (level == "low" and not match.group("new")):
        return "lowered", level
    return "new", level


def _split_items(body: str) -> list[str]:
    """Items of one district: commas/semicolons/line breaks outside brackets, then 、.

    Bounded areas "东至…,西至…" keep their commas: a piece starting with a direction
    bound joins the item before it ("蔡二村,东至…,西至…" is one area named 蔡二村).
    Items listed with 、 alone ("坞城路1号院、亲贤街2号、许西村") are split too, except
    where the 、 sits inside a building or unit list ("3号院5、6、8号楼" is one item); see
    ``_split_enumeration``.
    """
    groups: list[list[str]] = []  # joined once at the end: no quadratic string growth
    pieces = _split_top(body, ",;\n")
    if len(pieces) > MAX_ITEMS:
        raise NoticeError(
            gettext("一个区县下列出了%(count)s项,超过%(max)s项,不像一份通告")
            % {"count": len(pieces), "max": MAX_ITEMS}
        )
    count = 0
    for piece in pieces:
        piece = ITEM_ORDINAL.sub("", piece.strip()).strip("。.、 ")
        if not piece:
            continue
        if groups and _BOUND_START.match(piece):  # the bounds of the name (or area) before it
            groups[-1].append(piece)
            continue
        for item in _split_enumeration(piece):
            groups.append([item])
            count += 1
            if count > MAX_ITEMS:
                raise NoticeError(
                    gettext("一个区县下列出了超过%(max)s项,不像一份通告") % {"max": MAX_ITEMS}
                )
    return [",".join(group) for group in groups]


# A 、 inside a list of buildings or units: a bare number before it, and after it a number
# alone, or one going on to a building or unit suffix ("5、6、8号楼", "1、2单元", "3、5至7栋").
_ID = r"(?:[甲乙丙丁A-Za-z]?\d{1,4}|[一二三四五六七八九十两〇零]{1,3}|[A-Za-z甲乙丙丁])"
_BARE_ID_END = re.compile(
    r"(?:^|(?<=[^\d]))(?:\d{1,4}|[一二三四五六七八九十两〇零]{1,3}|[A-Za-z])$"
)
_LIST_MEMBER = re.compile(
    rf"^{_ID}(?:(?:至|到|-|~|—){_ID})?(?:号楼|号栋|号幢|栋|幢|号|#|座|单元|层|$)"
)
_HOUSE_NUMBER = re.compile(r"^\d{1,5}(?:[-之]\d{1,4})?号(?:院)?$")
# Parts that name no place: what a piece like "2号楼3单元" after "甲小区1号楼、" gives.
_SUB_PARTS = frozenset({"building", "buildings", "unit", "units", "floor", "room", "shop"})
_PLACE_PARTS = ("street", "community", "village", "road", "number", "compound", "site")
_PLACE_PARTS += ("phase", "zone")


def _split_enumeration(piece: str) -> list[str]:
    """One comma-separated piece split at its top-level 、 into items.

    A 、 between a bare number and another number of the same list belongs to that list
    ("驼房营南里3号院5、6、8号楼" is one item). A piece after 、 that names no place of its
    own continues the place before it and is written out in full, so that each item names
    its place: "甲小区1号楼、2号楼3单元" → "甲小区1号楼", "甲小区2号楼3单元";
    "亲贤街2号、3号" → "亲贤街2号", "亲贤街3号".
    """
    if "、" not in piece:
        return [piece]
    merged: list[str] = []
    for segment in _split_top(piece, "、"):
        if merged and (
            (_BARE_ID_END.search(merged[-1]) and _LIST_MEMBER.match(segment))
            or _BOUND_START.match(segment)
        ):
            merged[-1] += "、" + segment
        else:
            merged.append(segment)
    items: list[str] = []
    for segment in merged:
        items.append(_continued(items[-1], segment) if items else segment)
    return items


def _continued(previous: str, segment: str) -> str:
    """``segment`` with the place of ``previous`` in front when it names no place itself."""
    if not segment[:1].isdigit() and not _LIST_MEMBER.match(segment):
        return segment  # the cheap test first: a continuation starts with a number
    try:
        before = parse_address(previous)
        after = parse_address(segment)
    except AddressError:
        return segment  # read (and reported) as an item of its own
    keep = _PLACE_PARTS
    if _HOUSE_NUMBER.match(segment) and "number" in before:  # another house on the road
        keep = tuple(k for k in _PLACE_PARTS if k not in ("number", "compound", "site"))
    elif not after or not set(after) <= _SUB_PARTS:
        return segment
    place = {key: before[key] for key in keep if key in before}
    if not place:
        return segment
    return format_address(place) + segment


def _district_body(text: str) -> str:
    """The items of a district end at its first full stop (or the end of its paragraph
    when the next paragraph is not a numbered item): what follows is prose or a signature."""
    stop = text.find("。")
    if stop >= 0:
        text = text[:stop]
    lines = text.split("\n")
    kept = [lines[0]]
    for line in lines[1:]:
        if not ITEM_ORDINAL.match(line):
            break
        kept.append(line)
    return "\n".join(kept)


def parse_notice(data: bytes | str, year: int | None = None, gazetteer=None) -> dict:
    """Parse a notice into the JSON documented in docs/notices.md (without node resolution).

    ``year`` completes a date written as "12月2日" (news reposts omit the year);
    ``gazetteer`` (``wuyi.risk.resolve.Gazetteer``) names the district of items listed
    without one ("清源镇孔村" → 清徐县).
    """
    text = join_lines(read_text(data))
    sections_found = []
    for match in SECTION.finditer(text):
        sections_found.append(match)
        if len(sections_found) > MAX_SECTIONS:
            raise NoticeError(
                gettext("风险区清单段落超过%(max)s个,不像一份通告") % {"max": MAX_SECTIONS}
            )
    if not sections_found:
        raise NoticeError(
            gettext("没有找到风险区清单:应有“新增高风险区…:”或“调整为低风险区…:”这样的段首")
        )
    first = sections_found[0].start()
    head = text[:first]
    result: dict = {
        "issuer": None,
        "number": None,
        "date": None,
        "date_text": None,
        "basis": [],
        "sections": [],
        "mismatches": [],
        "unresolved": [],
        "problems": [],
    }
    _parse_heading(head, text, sections_found[-1].end(), result, year)
    for index, match in enumerate(sections_found):
        end = sections_found[index + 1].start() if index + 1 < len(sections_found) else len(text)
        change, level = _section_level(match)
        section = {
            "change": change,
            "level": level,
            "header": match.group(0).strip(":\n"),
            "declared_total": _count(match.group("count")),
            "districts": [],
        }
        _parse_section(text[match.end() : end], section, result, gazetteer)
        result["sections"].append(section)
    _check_counts(result, head)
    return result


def _parse_heading(head: str, text: str, last_section_end: int, result: dict, year) -> None:
    issuer_match = None
    for match in ISSUER_BEFORE_NUMBER.finditer(head):
        issuer_match = match  # the mention nearest the lists is the notice's own
    number = issuer_match.group("number") if issuer_match else None
    if number is None:
        numbers = list(NUMBER.finditer(head))
        number = numbers[-1].group("number") if numbers else None
    result["number"] = _count(number)
    if issuer_match:
        result["issuer"] = re.sub(r"^.*?(?:[)]|消息|讯|日)", "", issuer_match.group("issuer"))
        result["issuer"] = result["issuer"] or issuer_match.group("issuer")
    # The signature (issuer line, then the full date) after the lists wins when present.
    tail = text[last_section_end:]
    dates = list(FULL_DATE.finditer(tail)) or list(FULL_DATE.finditer(head))
    if dates:
        date = dates[-1]
        result["date_text"] = date.group(0)
        before = (
            tail[: date.start()].rstrip("\n").rsplit("\n", 1)[-1] if date.string is tail else ""
        )
        if before and len(before) <= 40 and not re.search(r"[。,:;!?]", before):
            result["issuer"] = before
        _set_date(result, int(date.group("y")), int(date.group("m")), int(date.group("d")))
    else:
        anchor = issuer_match.start() if issuer_match else len(head)
        paragraph_start = head.rfind("\n", 0, anchor) + 1
        days = list(MONTH_DAY.finditer(head, paragraph_start, len(head)))
        if days:
            day = days[0]
            result["date_text"] = day.group(0)
            if year is not None:
                _set_date(result, year, int(day.group("m")), int(day.group("d")))
    basis = BASIS.search(head)
    if basis:
        for phrase in re.split(
            r"(?:和|及|以及|、)(?=《|国务院|[^》]{0,6}$)|》(?:和|及|、)《", basis.group(1)
        ):
            phrase = phrase.strip()
            if phrase:
                phrase = "《" + phrase if phrase.count("》") > phrase.count("《") else phrase
                phrase = phrase + "》" if phrase.count("《") > phrase.count("》") else phrase
                result["basis"].append({"text": phrase, "policy": policy.match_basis(phrase)})


def _set_date(result: dict, y: int, m: int, d: int) -> None:
    try:
        result["date"] = dt.date(y, m, d).isoformat()
    except ValueError:
        result["problems"].append(
            gettext("日期无效:%(y)s年%(m)s月%(d)s日") % {"y": y, "m": m, "d": d}
        )


def _parse_section(body: str, section: dict, result: dict, gazetteer) -> None:
    body = "\n" + body
    headers = []
    for match in DISTRICT.finditer(body):
        headers.append(match)
        if len(headers) > MAX_DISTRICTS:
            raise NoticeError(
                gettext("%(header)s下的区县标题超过%(max)s个,不像一份通告")
                % {"header": section["header"], "max": MAX_DISTRICTS}
            )
    blocks: list[tuple[str | None, int | None, str]] = []
    if not headers:
        blocks.append((None, None, body))
    else:
        if body[: headers[0].start()].strip("\n"):
            blocks.append((None, None, body[: headers[0].start()]))
        for index, match in enumerate(headers):
            end = headers[index + 1].start() if index + 1 < len(headers) else len(body)
            blocks.append(
                (match.group("name"), _count(match.group("count")), body[match.end() : end])
            )
    where = section["header"]
    for name, declared, raw in blocks:
        district = {"name": name, "declared": declared, "items": []}
        for text in _split_items(_district_body(raw.lstrip("\n"))):
            item = {"text": text, "parts": {}, "exclusions": [], "node": None}
            try:
                item["parts"] = parse_address(text)
            except AddressError as exc:
                values = {
                    "section": where,
                    "district": name,
                    "item": len(district["items"]) + 1,
                    "error": exc,
                }
                if name:
                    message = gettext("%(section)s·%(district)s第%(item)s项:%(error)s") % values
                else:
                    message = gettext("%(section)s·未分区第%(item)s项:%(error)s") % values
                raise NoticeError(message) from exc
            item["exclusions"] = item["parts"].get("exclusions", [])
            if name is None and gazetteer is not None:
                item["district"] = gazetteer.district_of(item["parts"])
            district["items"].append(item)
        if district["items"] or name:
            section["districts"].append(district)


def _check_counts(result: dict, head: str) -> None:
    intro: dict[tuple[str, str], int] = {}
    for match in re.finditer(
        rf"(?P<new>新增)?(?:调整为)?{_LEVEL}{_AREA}(?P<count>\d{{1,4}})个", head.split("\n")[-1]
    ):
        change = "new" if match.group("new") else "lowered"
        level = {"高": "high", "中": "medium", "低": "low"}[match.group("level")]
        intro[(change, level)] = int(match.group("count"))
    for section in result["sections"]:
        found_total = sum(len(d["items"]) for d in section["districts"])
        declared_sum = 0
        for district in section["districts"]:
            declared_sum += district["declared"] or 0
            found = len(district["items"])
            if district["declared"] is not None and district["declared"] != found:
                result["mismatches"].append(
                    {
                        "where": f"{section['header']} · {district['name']}",
                        "declared": district["declared"],
                        "found": found,
                    }
                )
        if section["declared_total"] is not None and section["declared_total"] != found_total:
            result["mismatches"].append(
                {
                    "where": section["header"],
                    "declared": section["declared_total"],
                    "found": found_total,
                }
            )
        declared_districts = [d["declared"] for d in section["districts"]]
        if (
            section["declared_total"] is not None
            and declared_districts
            and all(n is not None for n in declared_districts)
            and declared_sum != section["declared_total"]
        ):
            result["mismatches"].append(
                {
                    "where": gettext("%(header)s(各区县合计)") % {"header": section["header"]},
                    "declared": section["declared_total"],
                    "found": declared_sum,
                }
            )
        stated = intro.get((section["change"], section["level"]))
        if stated is not None and stated != found_total:
            result["mismatches"].append(
                {
                    "where": gettext("导语:%(header)s") % {"header": section["header"]},
                    "declared": stated,
                    "found": found_total,
                }
            )
