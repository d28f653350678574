"""The index cache: a folder of index files, each named by a hash of what determines its content.

Takes the `cache` argument of `compile_index` (True, False, or a folder) and a build's inputs;
gives the file path for them, a cached index when a valid one is there, and stores new ones.

    folder     cache=True: `automaton.cache_dir.default_cache_dir() / "indexes"`
               (AUTOMATON_CACHE_DIR, else the platform's user cache folder); cache=PATH: PATH itself
    file name  "<32 hex digits>.safetensors": a hash of the source (the pattern text, or the
               arrays of an already compiled ByteDFA), the vocabulary fingerprint, the index file
               format version and the library version (a newer library may compile differently)

Files are written through `automaton.storage` (temporary file renamed into place), so processes
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

from automaton.cache_dir import default_cache_dir
from automaton.errors import IndexFileError
from automaton.storage import FORMAT_VERSION, load_index, save_index

__all__ = ["cache_folder", "cache_key", "cache_path", "cached_index", "store_index", "INDEX_SUBDIR", "CacheWarning"]

INDEX_SUBDIR = "indexes"
_SUFFIX = ".safetensors"
_warned_folders: set[str] = set()


class CacheWarning(UserWarning):
    """The index cache could not be read or written; the compilation itself went on."""


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


def cached_index(path: Path, vocabulary, pattern: str):
    """The valid index stored at `path` for this vocabulary and pattern, or None.

    A missing file is a plain miss; a damaged or foreign one is reported (warning) and treated
    as a miss, so the caller rebuilds and replaces it.
    """
    if not path.is_file():
        return None
    try:
        index = load_index(path, vocabulary)
    except IndexFileError as error:
        warnings.warn(f"rebuilding a damaged cached index: {error}", CacheWarning, stacklevel=3)
        return None
    if index.pattern != pattern:
        warnings.warn(
            f"rebuilding cached index {path}: it holds pattern {index.pattern!r:.80}, not {pattern!r:.80}",
            CacheWarning,
            stacklevel=3,
        )
        return None
    return index


def store_index(index, path: Path) -> bool:
    """Write `index` to `path` (creating the folder); on failure warn once per folder, return False."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_index(index, path)
    except OSError as error:
        folder = str(path.parent)
        if folder not in _warned_folders:
            _warned_folders.add(folder)
            warnings.warn(
                f"cannot write to the index cache folder {folder} ({error.strerror or error}); "
                "indexes are built without caching (set AUTOMATON_CACHE_DIR or pass cache=PATH)",
                CacheWarning,
                stacklevel=3,
            )
        return False
    return True


def _add(digest, part: bytes) -> None:
    """Length-prefixed, so that no two different part lists hash the same bytes."""
    digest.update(len(part).to_bytes(8, "little"))
    digest.update(part)
