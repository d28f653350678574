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

Size (`python -m automaton cache info | clear | prune --max-size SIZE`):

    cache_files(folder) -> [CacheFile]   the index files of ours in it: a "<32 hex>.safetensors"
                                         name, a plain file, and the index magic in its header;
                                         anything else (temporary files being renamed into place,
                                         other files) is never counted nor deleted
    prune(folder, max_bytes, keep=None)  delete least recently used first (last use = the later
                                         of access and modification time; a cache hit touches
                                         the file) until the total is at most max_bytes
    clear(folder)                        delete them all
    max_cache_bytes()                    AUTOMATON_CACHE_MAX_BYTES ("500M", "2G", a byte count,
                                         or "none"); default DEFAULT_MAX_BYTES = 1 GiB. Applied
                                         after each store, the file just stored kept.

A file that vanishes while being listed or deleted (another process pruning) is skipped.
"""
from __future__ import annotations

import hashlib
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from automaton.errors import CacheWarning, SettingError
from automaton.files import FORMAT_VERSION

__all__ = [
    "default_cache_dir", "CACHE_DIR_ENV", "cache_folder", "cache_key", "cache_path", "warn_unwritable", "INDEX_SUBDIR",
    "CacheWarning", "CACHE_MAX_BYTES_ENV", "DEFAULT_MAX_BYTES", "CacheFile", "cache_files", "prune", "clear",
    "max_cache_bytes", "parse_size", "touch", "enforce_limit",
]

CACHE_DIR_ENV = "AUTOMATON_CACHE_DIR"
INDEX_SUBDIR = "indexes"
_SUFFIX = ".safetensors"
CACHE_MAX_BYTES_ENV = "AUTOMATON_CACHE_MAX_BYTES"
DEFAULT_MAX_BYTES = 1024**3
_NAME = re.compile(r"[0-9a-f]{32}\.safetensors")
_MAGIC = b'"format":"automaton-index"'
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", re.IGNORECASE)
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


# -- size: info, prune, clear ------------------------------------------------------------------


@dataclass(frozen=True)
class CacheFile:
    path: Path
    size: int
    last_used: float  # the later of access and modification time


def cache_files(folder: Path, *, check_headers: bool = True) -> list[CacheFile]:
    """The index files of ours in `folder`, least recently used first (see the module docstring).
    Without `check_headers`, every plain file with an index file's name (faster: no reads)."""
    found = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    for entry in entries:
        if not _NAME.fullmatch(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            stat = entry.stat(follow_symlinks=False)
            if check_headers and not _is_index_file(entry.path):
                continue
        except OSError:  # renamed away or deleted meanwhile
            continue
        found.append(CacheFile(Path(entry.path), stat.st_size, max(stat.st_atime, stat.st_mtime)))
    found.sort(key=lambda file: (file.last_used, file.path.name))
    return found


def prune(folder: Path, max_bytes: int, keep: Path | None = None) -> list[CacheFile]:
    """Delete least recently used index files until they total at most `max_bytes`; returns
    those deleted. `keep` (a file just stored) is never deleted."""
    # Names alone first (no reads): the common case after a store is a folder within its limit.
    if sum(file.size for file in cache_files(folder, check_headers=False)) <= max_bytes:
        return []
    files = cache_files(folder)
    total = sum(file.size for file in files)
    deleted = []
    for file in files:
        if total <= max_bytes:
            break
        if keep is not None and file.path == Path(keep):
            continue
        if _unlink(file.path):
            deleted.append(file)
        total -= file.size  # deleted by us or, meanwhile, by another process
    return deleted


def clear(folder: Path) -> list[CacheFile]:
    """Delete every index file of ours in `folder`; returns those deleted."""
    return [file for file in cache_files(folder) if _unlink(file.path)]


def parse_size(text: str) -> int:
    """Bytes of "500M", "2G", "1.5GiB", "4096" (K, M, G, T are powers of 1024); ValueError else."""
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a size (examples: 500M, 2G, 1048576)")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def max_cache_bytes() -> int | None:
    """The size limit of the default cache folder: AUTOMATON_CACHE_MAX_BYTES, else
    DEFAULT_MAX_BYTES; None for "none" (no limit). SettingError for anything else."""
    configured = os.environ.get(CACHE_MAX_BYTES_ENV, "").strip()
    if not configured:
        return DEFAULT_MAX_BYTES
    if configured.lower() in ("none", "unlimited"):
        return None
    try:
        return parse_size(configured)
    except ValueError:
        raise SettingError(
            f"{CACHE_MAX_BYTES_ENV}={configured!r} is not a size (examples: 500M, 2G, 1048576) nor 'none'"
        ) from None


def enforce_limit(stored: Path) -> None:
    """After a store: prune the file's folder to `max_cache_bytes()`, keeping `stored`."""
    limit = max_cache_bytes()
    if limit is None:
        return
    try:
        prune(stored.parent, limit, keep=stored)
    except OSError as error:
        warnings.warn(
            f"cannot prune the index cache folder {stored.parent} to {limit} bytes ({error.strerror or error})",
            CacheWarning,
            stacklevel=4,
        )


def touch(path: Path) -> None:
    """Mark a cache hit as a use (for least-recently-used pruning); best effort."""
    try:
        os.utime(path)
    except OSError:
        pass


def _is_index_file(path: str) -> bool:
    with open(path, "rb") as file:
        head = file.read(8)
        if len(head) < 8:
            return False
        length = int.from_bytes(head, "little")
        return _MAGIC in file.read(min(length, 1 << 20))


def _unlink(path: Path) -> bool:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True
