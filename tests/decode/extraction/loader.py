"""A stand-in for `decode.extraction.core.load_model` that records its calls (and may refuse to load)."""
from __future__ import annotations

from decode.extraction import core


class RecordingLoader:
    """Replaces `core.load_model`: `calls` lists the specs asked for; returns `model` or raises when None."""

    def __init__(self, monkeypatch, model=None):
        self.calls: list = []
        self.model = model
        monkeypatch.setattr(core, "load_model", self)

    def __call__(self, spec=None, device=None):
        self.calls.append(spec)
        if self.model is None:
            raise AssertionError(f"the model was loaded ({spec!r}) although the run should not need it")
        return self.model
