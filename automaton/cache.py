"""The index cache: a folder of index files, each named by a hash of what determines its content.

Takes the `cache` argument of `compile_index` (True, False, or a folder) and a build's inputs;
gives the file path for them. `automaton.compile` reads and writes the files.

    folder     cache=True: `default_cache_dir() / "indexes"`
               (AUTOMATON_CACHE_DIR, else the platform's user cache folder); cache=PATH: PATH itself
    file name  "<32 hex digits>.safetensors": a hash of the source (the pattern text, or the
               arrays of an already compiled ByteDFA), the vocabulary fingerprint, the index file
               format version and the library version (a newer library may compile differently)

Files are written through `automaton.files` (temporary file renamed into place), so processes
sharing a folder never see a half-written file; when several build the same key at once, each
rename replaces a complete file with an equal one. A cache problem never fails a compilation:
a damaged file is rebuilt and replaced, and an unwritable folder is reported once (as a
warning) and skipped.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

from automaton.errors import CacheWarning
from automaton.files import FORMAT_VERSION

__all__ = [
    "default_cache_dir", "CACHE_DIR_ENV", "cache_folder", "cache_key", "cache_path", "warn_unwritable", "INDEX_SUBDIR",
    "CacheWarning",
]

CACHE_DIR_ENV = "AUTOMATON_CACHE_DIR"
INDEX_SUBDIR = "indexes"
_SUFFIX = ".safetensors"
_warned_folders: set[str] = set()


def default_cache_dir() -> Path:
    """The root cache directory: `AUTOMATON_CACHE_DIR`, else the platform's user cache
    directory (not created here). Index files go in its `indexes` folder, converted models in
    others (`decode.models`)."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("automaton-decode", appauthor=False))


def cache_folder(cache) -> Path | None:
    """The folder that `cache` (True, False/None, or a path) names; None when caching is off."""
    if cache is True:
        return default_cache_dir() / INDEX_SUBDIR
    if cache is False or cache is None:
        return None
    if isinstance(cache, (str, os.PathLike)):
        return Path(cache).expanduser()
    raise TypeError(f"cache must be True, False or a folder path, not {type(cache).__name__}")


def cache_key(source, vocabulary_fingerprint: str) -> str:
    """Hex digest naming the index of `source` (a pattern str or a ByteDFA) over a vocabulary."""
    from automaton import __version__

    digest = hashlib.blake2b(digest_size=16)
    for part in (b"automaton-index-cache", str(FORMAT_VERSION).encode(), __version__.encode()):
        _add(digest, part)
    if isinstance(source, str):
        _add(digest, b"pattern")
        _add(digest, source.encode("utf-8", "surrogatepass"))
    else:
        _add(digest, b"dfa")
        _add(digest, str(source.initial_state).encode())
        for array in (source.byte_classes, source.table, source.accepting):
            _add(digest, f"{array.dtype.str}{array.shape}".encode())
            _add(digest, array.tobytes())
        # The pattern text a DFA carries is stored in the index, so it is part of the content.
        _add(digest, (source.pattern or "").encode("utf-8", "surrogatepass"))
    _add(digest, vocabulary_fingerprint.encode())
    return digest.hexdigest()


def cache_path(folder: Path, key: str) -> Path:
    return folder / f"{key}{_SUFFIX}"


def warn_unwritable(folder: Path, error: OSError) -> None:
    """Say once per folder that the cache folder cannot be written (a `CacheWarning`)."""
    if str(folder) in _warned_folders:
        return
    _warned_folders.add(str(folder))
    warnings.warn(
        f"cannot write to the index cache folder {folder} ({error.strerror or error}); "
        "indexes are built without caching (set AUTOMATON_CACHE_DIR or pass cache=PATH)",
        CacheWarning,
        stacklevel=4,
    )


def _add(digest, part: bytes) -> None:
    """Length-prefixed, so that no two different part lists hash the same bytes."""
    digest.update(len(part).to_bytes(8, "little"))
    digest.update(part)
