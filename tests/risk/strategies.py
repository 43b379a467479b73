"""Hypothesis strategies for addresses and notices, shared by the grammar and drafting tests."""

from __future__ import annotations

from hypothesis import strategies as st

# Characters of made-up place names: none of them is a grammar word (村 街 路 区 期 楼 …).
NAME_CHARS = "华阳光明翠湖景悦府城锦绣金泽龙凤和平幸福康宁春晓馨香兰桂枫林云天海星月"
COMPOUND_SUFFIXES = ["小区", "苑", "花园", "家园", "公寓", "大厦", "家属楼", ""]
DISTRICTS = ["小店区", "迎泽区", "杏花岭区", "尖草坪区", "万柏林区", "晋源区", "清徐县", "古交市"]

names = st.text(alphabet=NAME_CHARS, min_size=2, max_size=6)
numbers = st.integers(min_value=1, max_value=40)


@st.composite
def compound_parts(draw) -> dict:
    parts: dict = {"compound": draw(names) + draw(st.sampled_from(COMPOUND_SUFFIXES))}
    if draw(st.booleans()):
        parts["phase"] = f"{draw(numbers)}期"
    if draw(st.booleans()):
        parts["zone"] = draw(st.sampled_from(["北区", "南区", "东区", "西区", "A区", "F区"]))
    shape = draw(st.sampled_from(["none", "one", "list", "range"]))
    if shape == "one":
        parts["building"] = f"{draw(numbers)}号楼"
        if draw(st.booleans()):
            parts["unit"] = f"{draw(st.integers(1, 12))}单元"
            tail = draw(st.sampled_from(["", "floor", "room"]))
            if tail == "floor":
                parts["floor"] = f"{draw(st.integers(1, 33))}层"
            elif tail == "room":
                parts["room"] = f"{draw(st.integers(1, 33))}{draw(st.integers(1, 4)):02d}"
    elif shape == "list":
        picked = sorted(draw(st.sets(numbers, min_size=2, max_size=5)))
        parts["building"] = "、".join(str(n) for n in picked) + "号楼"
        parts["buildings"] = [f"{n}号楼" for n in picked]
    elif shape == "range":
        lo = draw(numbers)
        hi = lo + draw(st.integers(1, 20))
        parts["building"] = f"{lo}至{hi}号楼"
        parts["buildings"] = [f"{n}号楼" for n in range(lo, hi + 1)]
    if shape in ("none", "list", "range") and draw(st.booleans()):
        parts["exclusions"] = [
            f"{n}号楼{u}单元"
            for n, u in sorted(
                draw(st.sets(st.tuples(numbers, st.integers(1, 6)), min_size=1, max_size=3))
            )
        ]
    return parts


@st.composite
def village_parts(draw) -> dict:
    town = draw(names) + draw(st.sampled_from(["镇", "乡", "街道"]))
    return {"street": town, "village": draw(names) + "村"}


@st.composite
def site_parts(draw) -> dict:
    kind, site_type = draw(
        st.sampled_from([("酒店", "hotel"), ("养殖场", "farm"), ("项目工地", "construction")])
    )
    return {"site": draw(names) + kind, "site_type": site_type}


address_parts = st.one_of(compound_parts(), village_parts(), site_parts())
