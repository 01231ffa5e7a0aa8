"""Shared fixtures of the dashboard tests (UI only; the pipeline tests keep their own)."""

from __future__ import annotations

from pathlib import Path

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


@pytest.fixture(scope="module")
def wh(fixture_warehouse):
    """That warehouse as the dashboard opens it, seen by everyone (local mode): for code that
    takes a Warehouse handle outside a page (packets, the decided view)."""
    from pipelines.access import everyone
    from rungs_ui import warehouse

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(warehouse.WAREHOUSE_ENV, str(fixture_warehouse))
        yield warehouse.current().scoped(everyone())


@pytest.fixture
def own_journal(tmp_path, monkeypatch):
    """A journal of the test's own, so what one test records never shows in another."""
    monkeypatch.setenv("RUNGS_JOURNAL_URL", str(tmp_path / "journal.sqlite"))


# The slowest files first: `make test` runs each file on one of two workers (`--dist loadfile`),
# and handing out the long ones first keeps both workers busy until the end.
_SLOWEST_FIRST = (
    "test_layouts_realistic_browser.py",
    "test_layouts_browser.py",
    "test_browser.py",
    "test_ui_hardening.py",
    "test_scope_pages.py",
    "test_sign_in_browser.py",
    "test_links_browser.py",
    "test_anonymise.py",
    "test_consistency.py",
    "test_build_safety.py",
    "test_readiness_properties.py",
    "test_pages.py",
)


def pytest_configure(config):
    """Every test process (and the servers it starts) writes its audit log to a journal of
    its own, never to the one in data/ that the app uses."""
    import os
    import tempfile

    os.environ["RUNGS_JOURNAL_URL"] = str(
        Path(tempfile.mkdtemp(prefix="rungs-journal-")) / "j.sqlite"
    )


def pytest_collection_modifyitems(items):
    def weight(item) -> int:
        name = item.path.name
        return _SLOWEST_FIRST.index(name) if name in _SLOWEST_FIRST else len(_SLOWEST_FIRST)

    items.sort(key=weight)  # stable: the order inside a file stays as written
