"""Address grammar shared by imports, the notice parser and the search box.

Offices write the same building as "7号楼", "7栋", "7幢", "7#" or just "7"; the same unit
as "2单元" or "2"; the same household as "502", "5-502" or "502室". ``normalise_*`` turn
each into one canonical name so that lookups and uniqueness among siblings agree.
"""

from __future__ import annotations

import re
import unicodedata

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def clean(text: str) -> str:
    """NFKC (full-width → half-width) and no whitespace anywhere."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


def chinese_number(text: str) -> int | None:
    """ "十二" → 12, "二十" → 20, "七" → 7; None when ``text`` is not a small Chinese numeral."""
    if not text or any(ch not in CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        value = 0
        for ch in text:
            value = value * 10 + CN_DIGITS[ch]
        return value
    tens, _, ones = text.partition("十")
    return (CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (CN_DIGITS[ones] if ones else 0)


def _number_part(text: str) -> str:
    if text.endswith(".0") and text[:-2].isdigit():  # a number that went through Excel
        text = text[:-2]
    value = chinese_number(text)
    if value is not None:
        return str(value)
    if text.isdigit():
        return str(int(text))
    return text


BUILDING_SUFFIXES = ("号楼", "号栋", "号幢", "栋", "幢", "楼", "号", "#")
LETTER_BUILDING = re.compile(r"^([A-Za-z]|[甲乙丙丁])座?$")


def normalise_building(raw: str) -> str:
    """ "7号楼" / "7栋" / "7幢" / "7#" / "7" / "七号楼" → "7号楼"; "A座"/"a" → "A座"; others as written."""
    text = clean(raw)
    if not text:
        return ""
    letter = LETTER_BUILDING.match(text)
    if letter:
        return letter.group(1).upper() + "座"
    for suffix in BUILDING_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            head = _number_part(text[: -len(suffix)])
            if head.isdigit():
                return f"{head}号楼"
            break
    head = _number_part(text)
    if head.isdigit():
        return f"{head}号楼"
    return text


def normalise_unit(raw: str) -> str:
    """ "2单元" / "2" / "二单元" / "2单" → "2单元"."""
    text = clean(raw)
    if not text:
        return ""
    for suffix in ("单元", "单"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    head = _number_part(text)
    return f"{head}单元" if head else ""


def normalise_room(raw: str) -> str:
    """ "502" / "502室" / "5-502"(floor-room) → "502"; other house numbers as written."""
    text = clean(raw)
    for suffix in ("室", "号房", "房", "户"):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    match = re.fullmatch(r"(\d+)-(\d{3,4})", text)
    if match and match.group(2).startswith(match.group(1)):
        return match.group(2)
    if text.isdigit():
        return str(int(text))
    return text


def room_floor(room: str) -> int | None:
    """The floor of a numbered room: "502" → 5, "1203" → 12."""
    return int(room[:-2]) if room.isdigit() and len(room) >= 3 else None


# ---------------------------------------------------------------------------
# Risk-area addresses: one item of a notice, an imported address, a search-box query.
#
# Notices name places the way people say them: "清源镇北营村北辰苑小区9号楼2单元",
# "保利东郡2期11号楼2单元", "坞城中路47号煤校宿舍2号楼", "西吴御龙庭小区(1号楼2单元除外)".
# ``parse_address`` splits such a text into its parts without knowing the city; the
# gazetteer and the registry decide later which node it is. Every pattern below is
# anchored and has bounded repetition, and the input is capped, so hostile text costs
# linear time (no nested quantifiers: no catastrophic backtracking).
# ---------------------------------------------------------------------------

MAX_ADDRESS_LENGTH = 500  # longer than any real item; a guard, not a limit people meet
MAX_RANGE = 300  # "1-300号楼" is the widest range expanded into single buildings


class AddressError(ValueError):
    """An address text that cannot be read, with the reason in Chinese."""


_CN = "一二三四五六七八九十两〇零"
_NUM = rf"(?:\d{{1,4}}|[{_CN}]{{1,3}})"
_SEP = r"(?:、|和|及|,)"
_RANGE = r"(?:至|到|-|~|—)"
_BUILDING_ID = rf"(?:[甲乙丙丁A-Za-z]?\d{{1,4}}|[{_CN}]{{1,3}}|[A-Za-z甲乙丙丁])"

_STREET = re.compile(r"^([^\d()、]{2,8}?(?:街道|镇|乡))")
_COMMUNITY = re.compile(r"^([^\d()、]{1,8}?社区)(?!卫生|服务|医院|中心|委|居委|食堂|办)")
_VILLAGE = re.compile(r"^([^\d()、]{1,8}?村)(?!小区|社区|委|民|镇|卫生|部)")
_ROAD = re.compile(
    rf"^([^\d()、]{{1,10}}?(?:大街|大道|路|街|巷|胡同|[{_CN}\d]条)"
    rf"(?:[东西南北中][{_CN}\d]{{0,3}}[段巷条])?)"
)
_HOUSE_NUMBER = re.compile(r"^(\d{1,5}(?:[-之]\d{1,4})?号(?:院)?)(?![楼栋幢])")
_ROOM = re.compile(
    r"(?:(\d{1,5})(?:室|户|号房)|(?:(?<=单元)|(?<=号楼)|(?<=栋)|(?<=座))(\d{1,2}-\d{3,4}|\d{3,4}))$"
)
_FLOOR = re.compile(rf"({_NUM}(?:{_RANGE}{_NUM})?)层$")
_UNIT = re.compile(rf"({_NUM}(?:(?:{_SEP}|{_RANGE}){_NUM}){{0,50}})单元$")
_BUILDING = re.compile(
    rf"({_BUILDING_ID}(?:(?:{_SEP}|{_RANGE}){_BUILDING_ID}){{0,50}})(号楼|号栋|号幢|栋|幢|号|#|座)$"
)
_DIRECTION_BUILDING = re.compile(r"([东西南北中])楼$")
_SHOP_SUFFIX = re.compile(r"(底商|门面房|门面|商铺|地下车库)$")
_ZONE = re.compile(rf"((?:[东西南北中]|[A-Za-z]|\d{{1,2}}|[{_CN}]{{1,2}})区)$")
_PHASE = re.compile(rf"({_NUM}期)$")
_BOUND = re.compile(r"(?:^|(?<=[,;:、。]))([东西南北])(?:侧)?至")

SITE_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("酒店", "hotel"),
    ("宾馆", "hotel"),
    ("旅馆", "hotel"),
    ("公寓酒店", "hotel"),
    ("养殖场", "farm"),
    ("养殖", "farm"),
    ("工地", "construction"),
    ("项目", "construction"),
    ("学院", "school"),
    ("大学", "school"),
    ("学校", "school"),
    ("中学", "school"),
    ("小学", "school"),
    ("幼儿园", "school"),
    ("医院", "hospital"),
    ("卫生院", "hospital"),
    ("卫生服务中心", "hospital"),
    ("诊所", "hospital"),
    ("药房", "other"),
    ("药店", "other"),
    ("超市", "other"),
    ("市场", "other"),
    ("公司", "other"),
    ("厂", "other"),
    ("店", "other"),
    ("中心", "other"),
    ("底商", "shop_front"),
)

_DIRECTIONS = {"东": "east", "西": "west", "南": "south", "北": "north"}


def _expand(spec: str, suffix: str, normalise) -> list[str]:
    """ "5、6、8" / "63至76" / "1-4" → each one normalised; a letter or odd id as written."""
    out: list[str] = []
    for piece in re.split(_SEP, spec):
        ends = re.split(_RANGE, piece)
        if len(ends) == 2:
            lo, hi = (_number_part(e) for e in ends)
            if lo.isdigit() and hi.isdigit() and int(lo) <= int(hi):
                if int(hi) - int(lo) >= MAX_RANGE:
                    raise AddressError(f"范围“{piece}{suffix}”过大(最多{MAX_RANGE}个)")
                out.extend(normalise(f"{n}{suffix}") for n in range(int(lo), int(hi) + 1))
                continue
        out.extend(normalise(f"{end}{suffix}") for end in ends if end)
    return out


def _split_top(text: str, seps: str) -> list[str]:
    """Split on ``seps`` outside brackets (visiting only brackets and separators)."""
    if not any(b in text for b in "()[]"):
        return [p for p in re.split("[" + re.escape(seps) + "]", text) if p]
    parts, depth, start = [], 0, 0
    for match in re.finditer("[" + re.escape("()[]" + seps) + "]", text):
        ch, i = match.group(), match.start()
        if ch in "([":
            depth += 1
            if depth > 20:  # nonsense nesting: the rest is one piece, refused by its reader
                break
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p]


def bracket_groups(text: str) -> list[tuple[int, int]]:
    """(start, end) of each top-level bracket group; AddressError when they do not pair up."""
    groups, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            if depth == 0:
                start = i
            depth += 1
        elif ch in ")]":
            if depth == 0:
                raise AddressError(f"第{i + 1}个字符处的右括号没有对应的左括号:“{text[:40]}”")
            depth -= 1
            if depth == 0:
                groups.append((start, i + 1))
    if depth:
        raise AddressError(f"第{start + 1}个字符处的左括号没有闭合:“{text[:40]}”")
    return groups


def _site_type(name: str) -> str | None:
    bare = re.sub(r"\([^()]*\)", "", name)
    for keyword, site_type in SITE_KEYWORDS:
        if bare.endswith(keyword) or (keyword in bare and site_type in ("hotel", "construction")):
            return site_type
    return None


def parse_address(raw: str) -> dict:
    """Split one address into its parts; only the parts present appear in the result.

    Keys: ``street`` (街道/镇/乡), ``community``, ``village``, ``road``, ``number``,
    ``compound`` or ``site`` (+ ``site_type``), ``phase``, ``zone``, ``building`` (as
    written, normalised when single) and ``buildings`` (expanded list), ``unit``/``units``,
    ``floor``, ``room``, ``shop`` (底商…), ``bounds`` (东至/西至…), ``exclusions`` and
    ``includes`` (from "(X除外)" and "(含…;不含…)"). Why a dict: the JSON of
    ``wuyi notice parse`` shows it as is, and imports and the search box read the same keys.
    """
    text = clean(raw).replace("[", "(").replace("]", ")")
    text = text.strip(",;。、.")
    if not text:
        raise AddressError("地址为空")
    if len(text) > MAX_ADDRESS_LENGTH:
        raise AddressError(f"地址过长({len(text)}字,最多{MAX_ADDRESS_LENGTH}字):“{text[:30]}…”")
    parts: dict = {}
    exclusions: list[str] = []
    includes: list[str] = []
    # Brackets: "(X除外)" and "(含…;不含…)" are conditions; any other bracket is part of a name.
    kept, last = [], 0
    for start, end in bracket_groups(text):
        inner = text[start + 1 : end - 1]
        condition = _bracket_condition(inner)
        if condition is None:
            continue
        kept.append(text[last:start])
        last = end
        exclusions.extend(condition[0])
        includes.extend(condition[1])
    kept.append(text[last:])
    text = "".join(kept)
    tail_exclusion = re.search(r",?([^,()]{1,60})除外$", text)
    if tail_exclusion and tail_exclusion.start() > 0:  # "…小区,1号楼除外" without brackets
        exclusions.extend(_split_top(tail_exclusion.group(1), "、,;"))
        text = text[: tail_exclusion.start()]
    if _BOUND.search(text):
        parts.update(_parse_bounds(text))
    else:
        parts.update(_parse_place(text))
    if exclusions:
        parts["exclusions"] = exclusions
    if includes:
        parts["includes"] = includes
    return parts


def _bracket_condition(inner: str) -> tuple[list[str], list[str]] | None:
    """ "1号楼2单元除外" → ([that], []); "含A;不含B" → ([B], [A]); a name → None."""
    if inner.endswith("除外"):
        return _split_top(inner[:-2], "、,;"), []
    if inner.startswith(("含", "不含", "包含", "包括")):
        excl: list[str] = []
        incl: list[str] = []
        for clause in _split_top(inner, ";,"):
            if clause.startswith("不含"):
                excl.extend(_split_top(clause[2:], "、"))
            elif clause.startswith(("包含", "包括")):
                incl.extend(_split_top(clause[2:], "、"))
            elif clause.startswith("含"):
                incl.extend(_split_top(clause[1:], "、"))
            elif clause.endswith("除外"):
                excl.extend(_split_top(clause[:-2], "、"))
            else:
                incl.append(clause)
        return excl, incl
    return None


def _parse_bounds(text: str) -> dict:
    marks = list(_BOUND.finditer(text))
    name = text[: marks[0].start()].strip(",;:、")
    bounds: dict[str, str] = {}
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        value = text[mark.end() : end].strip(",;、。")
        value = re.sub(r"(?:的)?(?:围合|合围|所围)?(?:的)?区域$", "", value)
        bounds[_DIRECTIONS[mark.group(1)]] = value
    out: dict = {"bounds": bounds}
    if name:  # "平阳路以东区域": a free name, kept as written
        out["name"] = name
    return out


def _parse_place(text: str) -> dict:
    parts: dict = {}
    rest = text
    # From the left: the administrative and street-address prefixes.
    for key, pattern in (("street", _STREET), ("community", _COMMUNITY), ("village", _VILLAGE)):
        match = pattern.match(rest)
        if match and len(match.group(1)) < len(rest) + (key == "village"):
            if key == "village":
                road = _ROAD.match(rest)
                if (
                    road
                    and len(road.group(1)) > len(match.group(1))
                    and road.group(1).startswith(match.group(1))
                ):
                    # "王村南街…": the road, not a village called 王村; "丈子头村后街" stays a road too.
                    break
            parts[key] = match.group(1)
            rest = rest[match.end() :]
    road = _ROAD.match(rest)
    if road and (len(road.group(1)) < len(rest) or not parts):
        end = road.end()
        if rest[end : end + 1] in ("街", "路", "巷"):  # "云路街": the shortest match stopped early
            end += 1
        parts["road"] = rest[:end]
        rest = rest[end:]
    number = _HOUSE_NUMBER.match(rest)
    if number and ("road" in parts or "village" in parts):
        parts["number"] = number.group(1)
        rest = rest[number.end() :]
    # From the right: room, floor, unit, building, shop front, zone, phase.
    tail: dict = {}
    match = _ROOM.search(rest)
    if match and match.start() > 0:  # "501室", or a bare "502" / "5-502" after a unit
        tail["room"] = normalise_room(match.group(1) or match.group(2))
        rest = rest[: match.start()]
    match = _FLOOR.search(rest)
    if match and match.start() > 0:
        tail["floor"] = match.group(1) + "层"
        rest = rest[: match.start()]
    match = _UNIT.search(rest)
    if match:
        spec = match.group(1)
        units = _expand(spec, "单元", normalise_unit)
        tail["unit"] = units[0] if len(units) == 1 else spec + "单元"
        if len(units) > 1:
            tail["units"] = units
        rest = rest[: match.start()]
    match = _SHOP_SUFFIX.search(rest)
    if match and match.start() > 0:
        tail["shop"] = match.group(1)
        rest = rest[: match.start()]
    match = _BUILDING.search(rest)
    if match:
        spec, suffix = match.group(1), match.group(2)
        buildings = _expand(spec, suffix, normalise_building)
        tail["building"] = buildings[0] if len(buildings) == 1 else spec + suffix
        if len(buildings) > 1:
            tail["buildings"] = buildings
        rest = rest[: match.start()]
    else:
        match = _DIRECTION_BUILDING.search(rest)
        if match and match.start() > 1:
            tail["building"] = match.group(0)
            rest = rest[: match.start()]
    match = _ZONE.search(rest)
    if match and match.start() > 1:
        tail["zone"] = match.group(1)
        rest = rest[: match.start()]
    match = _PHASE.search(rest)
    if match and match.start() > 1:
        tail["phase"] = match.group(1)
        rest = rest[: match.start()]
    if rest:
        site_type = _site_type(rest)
        if site_type and "building" not in tail:
            parts["site"] = rest
            parts["site_type"] = site_type
        else:
            parts["compound"] = rest
    parts.update(tail)
    return parts


ADDRESS_ORDER = (
    "street",
    "community",
    "village",
    "road",
    "number",
    "compound",
    "site",
    "phase",
    "zone",
    "building",
    "shop",
    "unit",
    "floor",
    "room",
)


def format_address(parts: dict) -> str:
    """The text a notice prints for ``parts``: the inverse of ``parse_address``.

    Exclusions go in brackets "(X、Y除外)", bounded areas as "东至…,西至…".
    """
    text = "".join(str(parts[key]) for key in ADDRESS_ORDER if parts.get(key))
    bounds = parts.get("bounds")
    if bounds:
        names = {v: k for k, v in _DIRECTIONS.items()}
        text = (parts["name"] + ":") if parts.get("name") else ""
        text += ",".join(
            f"{names[d]}至{bounds[d]}" for d in ("east", "west", "south", "north") if d in bounds
        )
        text += "围合区域"
    conditions = []
    if parts.get("includes"):
        conditions.append("含" + "、".join(parts["includes"]))
    if parts.get("exclusions"):
        if conditions:
            conditions.append("不含" + "、".join(parts["exclusions"]))
        else:
            conditions.append("、".join(parts["exclusions"]) + "除外")
    if conditions:
        text += "(" + ";".join(conditions) + ")"
    return text
