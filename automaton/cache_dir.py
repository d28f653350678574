"""Where cached files live: `AUTOMATON_CACHE_DIR`, else the platform's user cache directory."""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_cache_dir", "CACHE_DIR_ENV"]

CACHE_DIR_ENV = "AUTOMATON_CACHE_DIR"


def default_cache_dir() -> Path:
    """The root cache directory (not created here)."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("automaton-decode", appauthor=False))
