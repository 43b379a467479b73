"""A city with the places of the seed notice: compounds, buildings, units, a village, a site."""

from __future__ import annotations

import pytest

from tests.conftest import City, make_user
from wuyi.accounts.models import Role
from wuyi.territory.models import Kind, SiteType
from wuyi.territory.tree import add_node


class RiskCity(City):
    """The shared tiny city plus 路泽苑小区, 保利东郡2期, 西吴御龙庭小区, 丽枫酒店 and 清徐县's 孔村."""

    def __init__(self) -> None:
        super().__init__()
        self.luze = add_node(Kind.COMPOUND, "路泽苑小区", "C02", self.community)
        self.luze7 = add_node(Kind.BUILDING, "7号楼", "B07", self.luze)
        self.baoli = add_node(Kind.COMPOUND, "保利东郡2期", "C03", self.community)
        self.baoli11 = add_node(Kind.BUILDING, "11号楼", "B11", self.baoli)
        self.baoli11u2 = add_node(Kind.UNIT, "2单元", "U2", self.baoli11)
        for floor in (5, 6):
            add_node(Kind.HOUSEHOLD, f"{floor}01", f"H{floor:02d}01", self.baoli11u2, floor=floor)
            add_node(Kind.HOUSEHOLD, f"{floor}02", f"H{floor:02d}02", self.baoli11u2, floor=floor)
        self.xiwu = add_node(Kind.COMPOUND, "西吴御龙庭小区", "C04", self.community)
        self.xiwu1 = add_node(Kind.BUILDING, "1号楼", "B01", self.xiwu)
        self.xiwu1u2 = add_node(Kind.UNIT, "2单元", "U2", self.xiwu1)
        self.xiwu2 = add_node(Kind.BUILDING, "2号楼", "B02", self.xiwu)
        self.hotel = add_node(
            Kind.SITE, "丽枫酒店", "S01", self.community, site_type=SiteType.HOTEL
        )
        self.qingxu = add_node(Kind.DISTRICT, "清徐县", "140121")
        self.qingyuan = add_node(Kind.STREET, "清源镇", "140121100", self.qingxu)
        self.kongcun = add_node(Kind.COMMUNITY, "孔村", "140121100002", self.qingyuan)
        self.kong_home = add_node(Kind.HOUSEHOLD, "孔村12号", "H0012", self.kongcun)


@pytest.fixture
def rcity(db) -> RiskCity:
    return RiskCity()


@pytest.fixture
def office(rcity):
    return make_user("city_office", Role.CITY_OFFICE)
