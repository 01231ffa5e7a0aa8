"""What a what-if may change, and applying the changes to a Framework.

Two kinds of path, both naming something the framework already has:

- `rules.<setting>`: a rule setting of pipelines/settings.py (its minimum and, for counts of
  months or items, whole numbers are enforced as the framework file's loader does);
- `bars.<LEVEL>.<CATEGORY>.<metric>`: the value of an existing bar. Adding or removing bars is a
  framework edit, not a what-if.

Values arrive as text from a command line or a form: "9", "0.95", and for shares (SLA
adherence) also "95%".
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipelines.framework import Bar, Framework
from pipelines.rules.reasons import METRIC_WORDS
from pipelines.settings import SETTINGS_BY_NAME

# Metrics whose value is a share from 0 to 1 (the loader refuses SLA adherence above 1).
SHARE_METRICS = frozenset({"sla_adherence"})
# A ceiling for settings that count months or items: far beyond any real framework, and low
# enough that the SQL's month arithmetic cannot overflow on it.
MOST_WHOLE = 10_000


class OverrideError(ValueError):
    """A `--set` that cannot apply; the message names the path, the value and the fix."""


@dataclass(frozen=True)
class Settable:
    """One value a what-if may change, as the framework currently has it."""

    path: str
    label: str
    current: float
    minimum: float | None
    whole: bool
    help: str
    # A share from 0 to 1 (shown and accepted as a percentage too).
    share: bool = False
    maximum: float | None = None


def bar_path(bar: Bar) -> str:
    return f"bars.{bar.level}.{bar.category}.{bar.metric}"


# A bar's comparison in words: the labels read "at least 96%", never ">=".
OP_WORDS = {">=": "at least", "<=": "at most"}


def figure(metric: str, value: float) -> str:
    """A bar's value as people write it: 96%, 20 h, 0.5."""
    if metric in SHARE_METRICS:
        return f"{value * 100:g}%"
    if metric == "median_open_hours":
        return f"{value:g} h"
    if metric == "volume_ratio":
        return f"{value:g} × the team's median"
    return f"{value:g}"


def bar_label(bar: Bar) -> str:
    """'IC3 Scope: SLA adherence bar (at least 96%)'."""
    return f"{bar_name(bar)} ({bar_value(bar, bar.value)})"


def bar_name(bar: Bar) -> str:
    """'IC3 Scope: SLA adherence bar'."""
    return f"{bar.level} {bar.category}: {METRIC_WORDS.get(bar.metric, bar.metric)} bar"


def bar_value(bar: Bar, value: float) -> str:
    """'at least 96%', 'at most 20 h'."""
    return f"{OP_WORDS.get(bar.op, bar.op)} {figure(bar.metric, value)}"


def setting_name(framework: Framework, path: str) -> str:
    """A setting's name without its value, for a line that shows old and new values:
    'IC3 Scope: SLA adherence bar', 'Months at level before a promotion case'."""
    for bar in framework.bars:
        if bar_path(bar) == path:
            return bar_name(bar)
    return find_settable(framework, path).label


def value_words(framework: Framework, path: str, value: float) -> str:
    """A setting's value as the framework means it: 'at least 95%' for a bar, '9' for a rule."""
    for bar in framework.bars:
        if bar_path(bar) == path:
            return bar_value(bar, value)
    return f"{value:g}"


def settable(framework: Framework) -> list[Settable]:
    """Every rule setting (`rules.<name>`), then every bar (`bars.<LEVEL>.<CATEGORY>.<metric>`)
    in the framework's order, with its current value."""
    out = []
    for name, value in framework.rules.items():
        setting = SETTINGS_BY_NAME[name]
        out.append(
            Settable(
                path=f"rules.{name}",
                label=setting.label or name.replace("_", " ").capitalize(),
                current=float(value),
                minimum=float(setting.minimum),
                whole=isinstance(setting.default, int),
                help=setting.help,
                maximum=float(MOST_WHOLE) if isinstance(setting.default, int) else None,
            )
        )
    seen = set()
    for bar in framework.bars:
        path = bar_path(bar)
        if path in seen:  # two bars of one metric at one place move together
            continue
        seen.add(path)
        share = bar.metric in SHARE_METRICS
        out.append(
            Settable(
                path=path,
                label=bar_label(bar),
                current=bar.value,
                minimum=0.0,
                whole=False,
                help=bar.label,
                share=share,
                maximum=1.0 if share else None,
            )
        )
    return out


def parse_assignments(texts: Sequence[str]) -> dict[str, str]:
    """`PATH=VALUE` strings (the CLI's repeated --set) as a mapping; the last one of a path
    wins."""
    out: dict[str, str] = {}
    for text in texts:
        path, sep, value = text.partition("=")
        if not sep or not path.strip() or not value.strip():
            raise OverrideError(
                f"--set {text!r} is not PATH=VALUE. Fix: write e.g. --set "
                "rules.promotion_months_at_level=9 or --set bars.IC3.Scope.sla_adherence=0.95"
            )
        out[path.strip()] = value.strip()
    return out


def find_settable(framework: Framework, path: str) -> Settable:
    """The settable at `path`, or an OverrideError listing what exists there."""
    by_path = {s.path: s for s in settable(framework)}
    if path in by_path:
        return by_path[path]
    if path.startswith("rules."):
        names = ", ".join(sorted(framework.rules))
        raise OverrideError(
            f"--set {path}: there is no rule setting {path[6:]!r}. Fix: use one of {names}"
        )
    if path.startswith("bars."):
        bars = ", ".join(p for p in by_path if p.startswith("bars."))
        raise OverrideError(
            f"--set {path}: the framework has no such bar (a what-if changes existing bars, "
            f"it does not add them). Fix: use one of the bars there are: {bars}"
        )
    raise OverrideError(
        f"--set {path}: unknown path. Fix: write rules.<setting> (e.g. "
        "rules.promotion_months_at_level) or bars.<LEVEL>.<CATEGORY>.<metric> (e.g. "
        "bars.IC3.Scope.sla_adherence)"
    )


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def parse_value(target: Settable, raw: str | float) -> float:
    """`raw` as the number the framework stores, checked against the setting's rules."""
    shown = str(raw).strip()
    if isinstance(raw, bool):
        raise OverrideError(f"--set {target.path}={raw!r}: not a number. Fix: give a number")
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        percent = shown.endswith("%")
        text = shown[:-1].strip() if percent else shown
        if not _NUMBER.fullmatch(text):
            raise OverrideError(
                f"--set {target.path}={shown}: not a number. Fix: {_example(target)}"
            )
        if percent and not target.share:
            raise OverrideError(
                f"--set {target.path}={shown}: this value is not a share, so a percentage "
                f"does not fit. Fix: {_example(target)}"
            )
        value = float(text) / 100 if percent else float(text)
    if not math.isfinite(value):
        raise OverrideError(f"--set {target.path}={shown}: not a number. Fix: {_example(target)}")
    if target.minimum is not None and value < target.minimum:
        raise OverrideError(
            f"--set {target.path}={shown}: below the least allowed value. "
            f"Fix: use a number of at least {_plain(target.minimum)}"
        )
    if target.maximum is not None and value > target.maximum:
        if target.share:
            raise OverrideError(
                f"--set {target.path}={shown}: a share cannot exceed 1. Fix: {_example(target)}"
            )
        raise OverrideError(
            f"--set {target.path}={shown}: far beyond any real framework. Fix: use a number "
            f"of at most {_plain(target.maximum)}"
        )
    if target.whole and value != int(value):
        raise OverrideError(
            f"--set {target.path}={shown}: this setting counts whole months or items. "
            "Fix: use a whole number"
        )
    return value


def _example(target: Settable) -> str:
    if target.share:
        return "write a share such as 0.95, or a percentage such as 95%"
    if target.whole:
        return f"write a whole number such as {_plain(target.current)}"
    return f"write a number such as {_plain(target.current)}"


def _plain(value: float) -> str:
    return f"{value:g}"


def apply_overrides(framework: Framework, assignments: Mapping[str, str | float]) -> Framework:
    """A copy of `framework` with each `path -> value` applied (every path checked first, so
    nothing half-applies). Rule settings keep their type (whole numbers stay int); a bar whose
    label quotes its own figure ("Meets SLA 96% of the time") has that figure rewritten."""
    values = {
        path: parse_value(find_settable(framework, path), raw) for path, raw in assignments.items()
    }
    rules = dict(framework.rules)
    bars = list(framework.bars)
    for path, value in values.items():
        kind, _, rest = path.partition(".")
        if kind == "rules":
            default = SETTINGS_BY_NAME[rest].default
            rules[rest] = type(default)(value)
            continue
        for i, bar in enumerate(bars):
            if bar_path(bar) == path:
                bars[i] = dataclasses.replace(
                    bar, value=value, label=_relabel(bar.label, bar, value)
                )
    return dataclasses.replace(framework, rules=rules, bars=tuple(bars))


def _relabel(label: str, bar: Bar, value: float) -> str:
    """Rewrite the bar's own figure in its label when it appears exactly once."""
    if bar.metric in SHARE_METRICS:
        old, new = f"{bar.value * 100:g}%", f"{value * 100:g}%"
    else:
        old, new = f"{bar.value:g}", f"{value:g}"
    pattern = re.compile(rf"(?<![\d.]){re.escape(old)}(?![\d])")
    if len(pattern.findall(label)) != 1:
        return label
    return pattern.sub(new, label)
