"""Fixtures of the reliability tests: the embedded SmolLM2 model (shared with tests/decode) and
`summary`, which writes a module's counts to the terminal at the end of the module."""
from __future__ import annotations

import pytest

from tests.decode.conftest import smollm2_model  # noqa: F401  (a session fixture, reused)


@pytest.fixture(scope="module")
def summary(request):
    """A list of lines; each is written to the terminal (even without -s) when the module ends."""
    lines: list[str] = []
    yield lines
    capture = request.config.pluginmanager.getplugin("capturemanager")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    if reporter is None:
        return
    if capture is not None:
        with capture.global_and_fixture_disabled():
            for line in lines:
                reporter.write_line(line)
    else:
        for line in lines:
            reporter.write_line(line)
