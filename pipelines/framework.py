"""Load and validate the framework file: levels, categories, bars, expectations and rules.

Levels and categories are data. Everything downstream asks this module, never a literal.
"""

from __future__ import annotations

import hashlib
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.errors import FrameworkError
from pipelines.settings import RULE_SETTINGS, SETTINGS_BY_NAME
from pipelines.tables import TABLES_BY_NAME

DEFAULT_FRAMEWORK = Path(__file__).resolve().parent.parent / "data" / "framework.toml"

# Metrics a bar may test, with the engineer_months column each reads and its sample column.
METRICS = {
    "sla_adherence": ("sla_adherence", "sla_sample"),
    "median_open_hours": ("median_open_hours", "tickets_solved"),
    "volume_ratio": ("volume_ratio", "team_median_solved"),
}
OPS = (">=", "<=")
# Optional guidelines of the calibration meeting ([calibration] in the file): drawn on the
# worksheet beside the outcomes, never applied by a rule. Name -> what it means.
CALIBRATION_GUIDELINES = {
    "promotion_share": "Guideline: at most about this share of the people at a level are "
    "promoted in one cycle (drawn on the calibration worksheet; no rule applies it).",
}
# The fairness lens groups by these roster columns without any declaration; [fairness]
# groupings adds extra columns of engineers.csv beside them.
BUILT_IN_GROUPINGS = ("team", "region", "manager", "level")
DEFAULT_MIN_GROUP_SIZE = 5


@dataclass(frozen=True)
class FairnessSettings:
    """The [fairness] section: extra engineers.csv columns to group by, and the size under
    which a group is never shown (a group that small could single people out)."""

    groupings: tuple[str, ...] = ()
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE


@dataclass(frozen=True)
class Bar:
    level: str
    category: str
    metric: str
    op: str
    value: float
    label: str

    def passes(self, observed: float) -> bool:
        return observed >= self.value if self.op == ">=" else observed <= self.value


@dataclass(frozen=True)
class Framework:
    name: str
    version: str
    timezone: str
    levels: tuple[str, ...]
    categories: tuple[str, ...]
    bars: tuple[Bar, ...]
    expectations: dict[str, dict[str, tuple[str, ...]]]
    rules: dict[str, float]
    source: str = ""
    digest: str = field(default="", compare=False)
    # [calibration] guidelines the file sets (absent ones are simply not drawn).
    calibration: dict[str, float] = field(default_factory=dict)
    # [fairness] settings; a file without the section gets the defaults.
    fairness: FairnessSettings = field(default_factory=FairnessSettings)

    def rank(self, level: str) -> int:
        """0 for the first level; raises for a level the framework does not list."""
        return self.levels.index(level)

    def next_level(self, level: str) -> str | None:
        i = self.rank(level)
        return self.levels[i + 1] if i + 1 < len(self.levels) else None

    def bars_for(self, level: str, category: str) -> list[Bar]:
        """Bars that apply at `level` in `category`: its own and those of every level below."""
        top = self.rank(level)
        return [b for b in self.bars if b.category == category and self.rank(b.level) <= top]

    def rule(self, name: str) -> float:
        return self.rules[name]


def _fail(path: Path, what: str, fix: str) -> FrameworkError:
    return FrameworkError(f"{path}: {what}. Fix: {fix}")


def load_framework(path: Path | str = DEFAULT_FRAMEWORK) -> Framework:
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise _fail(
            path,
            f"cannot read the framework file ({exc.strerror})",
            "pass --framework with the path to a framework.toml",
        ) from exc
    try:
        doc = tomllib.loads(raw_bytes.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _fail(path, f"not valid TOML ({exc})", "correct the syntax at that line") from exc

    head = doc.get("framework")
    if not isinstance(head, dict):
        raise _fail(path, "no [framework] table", "add [framework] with levels and categories")
    levels = _string_list(path, head, "levels")
    categories = _string_list(path, head, "categories")
    tz = str(head.get("timezone", "UTC"))
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise _fail(
            path, f"unknown timezone {tz!r}", "use an IANA name such as Europe/Berlin"
        ) from exc

    bars = tuple(_bar(path, i, b, levels, categories) for i, b in enumerate(doc.get("bars", [])))
    expectations = _expectations(path, doc.get("expectations", {}), levels, categories)
    rules = _rules(path, doc.get("rules", {}))
    calibration = _calibration(path, doc.get("calibration", {}))
    fairness = _fairness(path, doc.get("fairness", {}))
    return Framework(
        name=str(head.get("name", "Career framework")),
        version=str(head.get("version", "unversioned")),
        timezone=tz,
        levels=tuple(levels),
        categories=tuple(categories),
        bars=bars,
        expectations=expectations,
        rules=rules,
        source=str(path),
        digest=hashlib.sha256(raw_bytes).hexdigest()[:12],
        calibration=calibration,
        fairness=fairness,
    )


def _string_list(path: Path, table: dict, key: str) -> list[str]:
    values = table.get(key)
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(v, str) and v.strip() for v in values)
    ):
        raise _fail(
            path,
            f"[framework].{key} must be a non-empty list of names",
            f'write e.g. {key} = ["A", "B"]',
        )
    if len({v.casefold() for v in values}) != len(values):
        raise _fail(path, f"[framework].{key} lists a name twice", "keep each name once")
    return list(values)


def _bar(path: Path, i: int, b: dict, levels: list[str], categories: list[str]) -> Bar:
    where = f"[[bars]] entry {i + 1}"
    if b.get("level") not in levels:
        raise _fail(path, f"{where} has level {b.get('level')!r}", f"use one of {levels}")
    if b.get("category") not in categories:
        raise _fail(path, f"{where} has category {b.get('category')!r}", f"use one of {categories}")
    if b.get("metric") not in METRICS:
        raise _fail(path, f"{where} has metric {b.get('metric')!r}", f"use one of {list(METRICS)}")
    if b.get("op") not in OPS:
        raise _fail(path, f"{where} has op {b.get('op')!r}", 'use ">=" or "<="')
    value = b.get("value")
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise _fail(path, f"{where} has value {value!r}", "use a non-negative number")
    if b["metric"] == "sla_adherence" and value > 1:
        raise _fail(path, f"{where} has SLA adherence {value}", "write a share, e.g. 0.94")
    return Bar(
        b["level"],
        b["category"],
        b["metric"],
        b["op"],
        float(value),
        str(b.get("label", f"{b['metric']} {b['op']} {value}")),
    )


def _expectations(path: Path, table: dict, levels: list[str], categories: list[str]):
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for level, per_cat in table.items():
        if level not in levels:
            raise _fail(
                path, f"[expectations.{level}] names an unknown level", f"use one of {levels}"
            )
        out[level] = {}
        for cat, labels in per_cat.items():
            if cat not in categories:
                raise _fail(
                    path,
                    f"[expectations.{level}] names unknown category {cat!r}",
                    f"use one of {categories}",
                )
            if isinstance(labels, str):
                labels = [labels]
            out[level][cat] = tuple(str(x) for x in labels)
    return out


def _rules(path: Path, table: dict) -> dict[str, float]:
    rules = {s.name: s.default for s in RULE_SETTINGS}
    for name, value in table.items():
        setting = SETTINGS_BY_NAME.get(name)
        if setting is None:
            raise _fail(
                path,
                f"[rules] has unknown setting {name!r}",
                f"use one of {sorted(SETTINGS_BY_NAME)}",
            )
        if not isinstance(value, int | float) or isinstance(value, bool) or value < setting.minimum:
            raise _fail(
                path, f"[rules].{name} = {value!r}", f"use a number of at least {setting.minimum}"
            )
        if isinstance(setting.default, int) and value != int(value):
            raise _fail(path, f"[rules].{name} = {value!r}", "use a whole number")
        rules[name] = type(setting.default)(value)
    return rules


def _calibration(path: Path, table: object) -> dict[str, float]:
    if not isinstance(table, dict):
        raise _fail(path, "[calibration] is not a table", "write it as a [calibration] section")
    guidelines = {}
    for name, value in table.items():
        if name not in CALIBRATION_GUIDELINES:
            raise _fail(
                path,
                f"[calibration] has unknown setting {name!r}",
                f"use one of {sorted(CALIBRATION_GUIDELINES)}, or remove it",
            )
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1:
            raise _fail(
                path,
                f"[calibration].{name} = {value!r}",
                "write a share between 0 and 1, e.g. 0.15 for about 15%",
            )
        guidelines[name] = float(value)
    return guidelines


def _fairness(path: Path, table: object) -> FairnessSettings:
    if not isinstance(table, dict):
        raise _fail(path, "[fairness] is not a table", "write it as a [fairness] section")
    unknown = sorted(set(table) - {"groupings", "min_group_size"})
    if unknown:
        raise _fail(
            path,
            f"[fairness] has unknown setting {unknown[0]!r}",
            "use groupings and min_group_size, or remove it",
        )
    size = table.get("min_group_size", DEFAULT_MIN_GROUP_SIZE)
    if not isinstance(size, int) or isinstance(size, bool) or size < 2:
        raise _fail(
            path,
            f"[fairness].min_group_size = {size!r}",
            "use a whole number of at least 2 (the default is 5)",
        )
    groupings = table.get("groupings", [])
    if not isinstance(groupings, list) or not all(
        isinstance(g, str) and g.strip() for g in groupings
    ):
        raise _fail(
            path,
            f"[fairness].groupings = {groupings!r}",
            'write a list of engineers.csv column names, e.g. groupings = ["location"]',
        )
    names = [g.strip() for g in groupings]
    # The roster's own columns are loaded anyway; only extra ones need declaring.
    roster_columns = set(TABLES_BY_NAME["engineers"].columns())
    for name in names:
        if name.casefold() in BUILT_IN_GROUPINGS or name in roster_columns:
            raise _fail(
                path,
                f"[fairness].groupings lists {name!r}, a column the roster already has",
                f"remove it: {', '.join(BUILT_IN_GROUPINGS)} are always available; list only "
                "extra columns of engineers.csv",
            )
    if len({n.casefold() for n in names}) != len(names):
        raise _fail(path, "[fairness].groupings lists a column twice", "keep each name once")
    return FairnessSettings(tuple(names), size)


def framework_params(framework: Framework) -> dict:
    """Every value a model may name as `$parameter`: the rule settings, the time zone and the
    shape of the ladder. Rank convention, everywhere: the first level is 0, the top level
    len(levels) - 1, and -1 stands for "below the first level"."""
    return {s.name: framework.rule(s.name) for s in RULE_SETTINGS} | {
        "tz": framework.timezone,
        "top_rank": len(framework.levels) - 1,
        "first_level": framework.levels[0],
    }


def write_framework(con, framework: Framework) -> None:
    """The framework the build used travels inside the warehouse: the models join these
    tables and the pages read them, so a rule and the chart that shows it see the same bars.
    Ranks start at 0 (see framework_params)."""
    con.execute(
        "create or replace table framework_levels as select level, rank - 1 as rank "
        "from (select unnest($l) as level, generate_subscripts($l, 1) as rank)",
        {"l": list(framework.levels)},
    )
    con.execute(
        "create or replace table framework_categories as select category, rank - 1 "
        "as rank from (select unnest($c) as category, generate_subscripts($c, 1) as "
        "rank)",
        {"c": list(framework.categories)},
    )
    con.execute(
        "create or replace table framework_bars (level varchar, level_rank integer, "
        "bar_order integer, category varchar, metric varchar, op varchar, "
        "value double, label varchar)"
    )
    if framework.bars:
        con.executemany(
            "insert into framework_bars values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (b.level, framework.rank(b.level), i, b.category, b.metric, b.op, b.value, b.label)
                for i, b in enumerate(framework.bars)
            ],
        )
    con.execute(
        "create or replace table framework_expectations (level varchar, "
        "category varchar, label varchar)"
    )
    rows = [
        (lvl, cat, label)
        for lvl, cats in framework.expectations.items()
        for cat, labels in cats.items()
        for label in labels
    ]
    if rows:
        con.executemany("insert into framework_expectations values (?, ?, ?)", rows)
    con.execute(
        "create or replace table framework_settings (name varchar, value double, "
        "default_value double, help varchar)"
    )
    con.executemany(
        "insert into framework_settings values (?, ?, ?, ?)",
        [
            (n, v, SETTINGS_BY_NAME[n].default, SETTINGS_BY_NAME[n].help)
            for n, v in framework.rules.items()
        ],
    )
    # A guideline the file sets travels with the rules, with no default: absent means none.
    if framework.calibration:
        con.executemany(
            "insert into framework_settings values (?, ?, null, ?)",
            [(n, v, CALIBRATION_GUIDELINES[n]) for n, v in framework.calibration.items()],
        )
    # One row: the fairness lens on this warehouse groups by these extra roster columns and
    # never shows a group smaller than min_group_size (pipelines/fairness reads it).
    con.execute(
        "create or replace table framework_fairness as "
        "select $groupings::varchar[] as groupings, $size::integer as min_group_size",
        {
            "groupings": list(framework.fairness.groupings),
            "size": framework.fairness.min_group_size,
        },
    )
