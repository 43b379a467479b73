"""Policy versions as data: the rule sets in force at different dates.

Each version is one TOML file in ``risk/policies/`` (or in the directory named by
``WUYI_POLICY_DIR``), read with ``tomllib``. Why data and not code: the rules changed three
times in 2022 and an office must be able to add the next version without a release.
Every decision records the code of the version it was made under.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext

POLICY_DIR = Path(__file__).resolve().parent / "policies"
LEVELS = ("high", "medium", "low")
LEVEL_LABELS = {"high": "高", "medium": "中", "low": "低"}


class PolicyError(ValueError):
    """A policy file that cannot be used, or a date no version covers."""


@dataclass(frozen=True)
class LoweringRule:
    """When an area at one level may be lowered, and to which level."""

    days: int
    negative_screening: bool
    to: str


@dataclass(frozen=True)
class PolicyVersion:
    code: str
    name: str
    title: str
    effective: dt.date
    aliases: tuple[str, ...]
    basis: str
    levels: tuple[str, ...]
    designation_kinds: tuple[str, ...]
    lowering: dict[str, LoweringRule]
    measures: dict = field(default_factory=dict)
    designation_kinds_with_reason: tuple[str, ...] = ()
    designation_by_floor: bool = False
    source: str = ""

    def lowering_rule(self, level: str) -> LoweringRule | None:
        return self.lowering.get(level)


def _require(data: dict, key: str, kind: type, source: str):
    if key not in data:
        raise PolicyError(gettext("%(source)s: 缺少字段 %(key)s") % {"source": source, "key": key})
    if not isinstance(data[key], kind):
        raise PolicyError(
            gettext("%(source)s: 字段 %(key)s 应为 %(expected)s,实际为 %(actual)s")
            % {"source": source, "key": key, "expected": kind.__name__, "actual": repr(data[key])}
        )
    return data[key]


def load_file(path: Path) -> PolicyVersion:
    """Read and check one policy file; PolicyError says which file and which field."""
    source = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(
            gettext("%(source)s: 不是有效的 TOML:%(error)s") % {"source": source, "error": exc}
        ) from exc
    levels = tuple(_require(data, "levels", list, source))
    if not levels or any(level not in LEVELS for level in levels):
        raise PolicyError(
            gettext("%(source)s: levels 只能取 %(allowed)s,实际为 %(levels)s")
            % {"source": source, "allowed": LEVELS, "levels": levels}
        )
    lowering: dict[str, LoweringRule] = {}
    for level, rule in _require(data, "lowering", dict, source).items():
        if level not in levels:
            raise PolicyError(
                gettext("%(source)s: lowering.%(level)s 不在本版的风险等级 %(levels)s 中")
                % {"source": source, "level": level, "levels": levels}
            )
        days = _require(rule, "days", int, f"{source} lowering.{level}")
        to = _require(rule, "to", str, f"{source} lowering.{level}")
        if days < 0 or to not in levels or levels.index(to) <= levels.index(level):
            raise PolicyError(
                gettext("%(source)s: lowering.%(level)s 的 days/to 无效")
                % {"source": source, "level": level}
            )
        lowering[level] = LoweringRule(days, bool(rule.get("negative_screening", False)), to)
    effective = _require(data, "effective", dt.date, source)
    return PolicyVersion(
        code=_require(data, "code", str, source),
        name=_require(data, "name", str, source),
        title=data.get("title", data["name"]),
        effective=effective,
        aliases=tuple(data.get("aliases", [data["name"]])),
        basis=data.get("basis", data["name"]),
        levels=levels,
        designation_kinds=tuple(data.get("designation_kinds", [])),
        lowering=lowering,
        measures=data.get("measures", {}),
        designation_kinds_with_reason=tuple(data.get("designation_kinds_with_reason", [])),
        designation_by_floor=bool(data.get("designation_by_floor", False)),
        source=source,
    )


@lru_cache(maxsize=8)
def _load_dir(directory: str) -> tuple[PolicyVersion, ...]:
    versions = [load_file(p) for p in sorted(Path(directory).glob("*.toml"))]
    if not versions:
        raise PolicyError(
            gettext("%(directory)s 中没有政策版本文件(*.toml)") % {"directory": directory}
        )
    codes = [v.code for v in versions]
    if len(set(codes)) != len(codes):
        raise PolicyError(gettext("政策版本代码重复:%(codes)s") % {"codes": codes})
    dates = [v.effective for v in versions]
    if len(set(dates)) != len(dates):
        raise PolicyError(gettext("两个政策版本的生效日期相同:%(dates)s") % {"dates": dates})
    return tuple(sorted(versions, key=lambda v: v.effective))


def versions(directory: str | Path | None = None) -> tuple[PolicyVersion, ...]:
    """All versions, oldest first."""
    return _load_dir(str(directory or os.environ.get("WUYI_POLICY_DIR") or POLICY_DIR))


def version_in_force(day: dt.date, directory: str | Path | None = None) -> PolicyVersion:
    """The version in force on ``day``: the latest one effective on or before it."""
    current = None
    for version in versions(directory):
        if version.effective <= day:
            current = version
    if current is None:
        raise PolicyError(gettext("%(day)s 早于最早的政策版本生效日期") % {"day": day.isoformat()})
    return current


def get(code: str, directory: str | Path | None = None) -> PolicyVersion:
    for version in versions(directory):
        if version.code == code:
            return version
    raise PolicyError(gettext("没有代码为 %(code)s 的政策版本") % {"code": code})


def match_basis(text: str, directory: str | Path | None = None) -> str | None:
    """The code of the version a basis phrase names ("…二十条措施" → "ershitiao"), or None."""
    best = None
    for version in versions(directory):
        for alias in version.aliases:
            if alias in text and (best is None or len(alias) > best[0]):
                best = (len(alias), version.code)
    return best[1] if best else None
