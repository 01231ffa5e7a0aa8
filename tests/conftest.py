"""Shared fixtures of the dashboard tests (UI only; the pipeline tests keep their own)."""

from __future__ import annotations

import pytest

from tests.ui_fixtures import build_warehouse, make_demo_source


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory):
    """A small demo org in the input contract's format, generated once per session."""
    return make_demo_source(tmp_path_factory.mktemp("demo-source") / "demo")


@pytest.fixture(scope="session")
def fixture_warehouse(tmp_path_factory, demo_source):
    """The demo org built into a warehouse once per session; tests must not modify it."""
    return build_warehouse(demo_source, tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb")
