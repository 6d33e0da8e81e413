"""The fuzz suite's counts, printed after the run: cases tried per format and per flag, and how
each ended (a case that ended otherwise has failed its test)."""

from __future__ import annotations

import pytest
from fuzz_harness import OUTCOMES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not OUTCOMES:
        return
    terminalreporter.section("fuzz cases")
    width = max(len(name) for name in OUTCOMES)
    for name in sorted(OUTCOMES):
        counts = OUTCOMES[name]
        terminalreporter.write_line(
            f"{name:<{width}}  tried {counts['tried']:>4}  clean error {counts['clean error']:>4}"
            f"  correct result {counts['correct result']:>4}")
