"""Progress for long pipeline steps: a line per step with its time, or nothing when quiet."""

from __future__ import annotations

import time
from contextlib import contextmanager

from rich.console import Console


class Steps:
    """`with steps.step("load tickets"): ...` prints a spinner while running, then the time."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.console = Console(stderr=True)
        self.timings: dict[str, float] = {}

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, *exc) -> None:
        return None

    @contextmanager
    def step(self, name: str):
        started = time.perf_counter()
        if self.enabled:
            with self.console.status(f"{name} …"):
                yield
        else:
            yield
        self.timings[name] = time.perf_counter() - started
        if self.enabled:
            self.console.print(f"[green]✓[/] {name} [dim]{self.timings[name]:.1f} s[/]")
