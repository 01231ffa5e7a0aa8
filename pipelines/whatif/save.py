"""Save a what-if's framework as a new framework file with a new version.

Given the framework file the build used, only the values that changed are edited in a copy of
it (tomlkit keeps its comments, order and layout), so the saved file reads like the original
and a diff of the two shows the policy change alone. Without it, a complete file is written.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import tomlkit

from pipelines.framework import FairnessSettings, Framework, load_framework


def base_matching(framework: Framework, candidate: Path) -> Path | None:
    """`candidate` when it is byte for byte the file the build used (same digest), else None:
    a what-if must not be saved on top of a file the warehouse was not built from."""
    try:
        digest = hashlib.sha256(candidate.read_bytes()).hexdigest()[:12]
    except OSError:
        return None
    return candidate if framework.digest and digest == framework.digest else None


def save_framework(
    framework_after: Framework, out: Path, version: str, base: Path | None = None
) -> Path:
    """Write `framework_after` to `out` with `version`; return `out`.

    With `base` (the framework file the build used), that file's comments and layout are
    kept and only the changed values are edited: the version (its comment names the version
    it came from), the [rules] settings that differ, and each bar's value and label.
    Refuses (FileExistsError) to overwrite an existing file; raises ValueError when `base`
    has other bars than the framework. The result loads with load_framework."""
    out = Path(out)
    if not version.strip():
        raise ValueError("the saved framework needs a version. Fix: pass --version, e.g. 2027.1")
    if base is not None:
        text = _edited(framework_after, Path(base), version)
    else:
        text = tomlkit.dumps(_document(framework_after, version))
    # Mode "x": an existing file is never replaced, even one created a moment ago.
    with out.open("x", encoding="utf-8") as handle:
        handle.write(text)
    return out


def _edited(framework: Framework, base: Path, version: str) -> str:
    source = base.read_text(encoding="utf-8")
    doc = tomlkit.parse(source)
    before = load_framework(base)
    head = doc["framework"]
    head["version"] = tomlkit.string(version)
    head["version"].comment(f"saved from a what-if on version {before.version}")
    rules_changed = {n: v for n, v in framework.rules.items() if before.rules.get(n) != v}
    if rules_changed:
        if "rules" not in doc:
            doc.add("rules", tomlkit.table())
        rules = doc["rules"]
        for name, value in rules_changed.items():
            rules[name] = value
    bars = doc.get("bars", [])
    if len(bars) != len(framework.bars):
        raise ValueError(
            f"{base} has {len(bars)} bar(s) and the framework {len(framework.bars)}. Fix: save "
            "without a base file, or use the framework file the warehouse was built from"
        )
    for entry, bar, old in zip(bars, framework.bars, before.bars, strict=True):
        if bar.value != old.value:
            entry["value"] = _number(bar.value)
        if bar.label != old.label and "label" in entry:
            entry["label"] = bar.label
    text = tomlkit.dumps(doc)
    tomllib.loads(text)  # edited in place, it must still be TOML
    return text


def _document(framework: Framework, version: str) -> tomlkit.TOMLDocument:
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"{framework.name}, saved from a what-if on {framework.version}."))
    head = tomlkit.table()
    head["name"] = framework.name
    head["version"] = version
    head["timezone"] = framework.timezone
    head["levels"] = list(framework.levels)
    head["categories"] = list(framework.categories)
    doc["framework"] = head
    bars = tomlkit.aot()
    for bar in framework.bars:
        entry = tomlkit.table()
        entry["level"] = bar.level
        entry["category"] = bar.category
        entry["metric"] = bar.metric
        entry["op"] = bar.op
        entry["value"] = _number(bar.value)
        entry["label"] = bar.label
        bars.append(entry)
    doc["bars"] = bars
    doc["rules"] = dict(framework.rules)
    if framework.calibration:
        doc["calibration"] = dict(framework.calibration)
    if framework.fairness != FairnessSettings():
        doc["fairness"] = {
            "groupings": list(framework.fairness.groupings),
            "min_group_size": framework.fairness.min_group_size,
        }
    expectations = tomlkit.table(is_super_table=True)
    for level, per_category in framework.expectations.items():
        table = tomlkit.table()
        for category, labels in per_category.items():
            table[category] = list(labels)
        expectations[level] = table
    doc["expectations"] = expectations
    return doc


def _number(value: float) -> int | float:
    """Whole bar values (hours) stay whole in the file, as people write them."""
    return int(value) if float(value).is_integer() else float(value)
