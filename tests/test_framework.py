"""The framework file is data: it loads, and a broken one is refused with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import FrameworkError
from pipelines.framework import load_framework
from pipelines.settings import RULE_SETTINGS

DEFAULT = Path("data/framework.toml")


def variant(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT.read_text()
    assert old in text, f"fixture text {old!r} is not in the framework file"
    path = tmp_path / "framework.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_default_framework_has_five_levels_and_four_categories():
    fw = load_framework(DEFAULT)
    assert fw.levels == ("IC1", "IC2", "IC3", "IC4", "IC5")
    assert fw.categories == ("Impact", "Scope", "Execution", "Teamwork")


def test_sla_bars_carry_the_framework_numbers():
    fw = load_framework(DEFAULT)
    sla = {b.level: b.value for b in fw.bars if b.metric == "sla_adherence"}
    assert sla == {"IC1": 0.90, "IC2": 0.94, "IC3": 0.96, "IC4": 0.98}


def test_bars_are_cumulative_and_the_top_level_inherits():
    fw = load_framework(DEFAULT)
    assert [(b.metric, b.value) for b in fw.bars_for("IC5", "Scope")] == [
        ("sla_adherence", 0.94),
        ("sla_adherence", 0.96),
        ("sla_adherence", 0.98),
    ]
    assert {b.metric for b in fw.bars_for("IC2", "Impact")} == {
        "sla_adherence",
        "volume_ratio",
        "median_open_hours",
    }
    assert fw.bars_for("IC1", "Teamwork") == []


def test_every_level_has_expectations_in_every_category():
    fw = load_framework(DEFAULT)
    for level in fw.levels:
        assert set(fw.expectations[level]) == set(fw.categories), level


def test_rules_default_from_settings_and_file_overrides():
    fw = load_framework(DEFAULT)
    assert fw.rule("min_sample") == 10
    assert set(fw.rules) == {s.name for s in RULE_SETTINGS}


def test_next_level_is_none_at_the_top():
    fw = load_framework(DEFAULT)
    assert fw.next_level("IC4") == "IC5"
    assert fw.next_level("IC5") is None


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('levels = ["IC1", "IC2", "IC3", "IC4", "IC5"]', "levels = []", "non-empty list"),
        ('"IC4", "IC5"]', '"IC4", "ic4"]', "lists a name twice"),
        ('timezone = "UTC"', 'timezone = "Mars/Olympus"', "unknown timezone"),
        ("value = 0.94", "value = 94", "write a share"),
        ('metric = "median_open_hours"', 'metric = "mood"', "has metric 'mood'"),
        ("in_band_lookback_months = 6", "in_band_lookback_months = 6.5", "whole number"),
        ("in_band_lookback_months = 6", "in_band_lookbak_months = 6", "unknown setting"),
        ("[expectations.IC5]", "[expectations.IC9]", "unknown level"),
    ],
)
def test_broken_framework_is_refused_with_the_entry_and_fix(tmp_path, old, new, message):
    with pytest.raises(FrameworkError, match=message) as err:
        load_framework(variant(tmp_path, old, new))
    assert "Fix:" in str(err.value)
    assert "framework.toml" in str(err.value)


def test_unparsable_toml_names_the_problem(tmp_path):
    path = tmp_path / "framework.toml"
    path.write_text("[framework\nlevels = 1")
    with pytest.raises(FrameworkError, match="not valid TOML"):
        load_framework(path)


def test_levels_and_categories_are_data(tmp_path):
    path = tmp_path / "framework.toml"
    path.write_text(
        '[framework]\nlevels = ["Junior", "Senior"]\ncategories = ["Craft"]\n'
        '[[bars]]\nlevel = "Senior"\ncategory = "Craft"\nmetric = "sla_adherence"\n'
        'op = ">="\nvalue = 0.9\n'
    )
    fw = load_framework(path)
    assert fw.levels == ("Junior", "Senior")
    assert [b.level for b in fw.bars_for("Senior", "Craft")] == ["Senior"]
