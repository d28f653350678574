"""The ahead-of-time kernels (`automaton.kernels`, built by `python -m automaton build-kernels`
in the set-up) against the numba JIT kernels they are compiled from: the same DFAs and indexes,
array for array, and a safe fallback for arguments of other types."""
from __future__ import annotations

import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import automaton
import automaton.vocabulary.byte_trie as byte_trie_module
from automaton import kernels
from automaton.dfa.build import compile_dfa
from automaton.index.build import build_index
from tests.cases import BENCH_PATTERNS

BUILD_HINT = "run `.venv/bin/python -m automaton build-kernels` (the set-up does)"


@pytest.fixture(scope="module")
def native():
    module = kernels.native_module()
    assert module is not None, f"no up-to-date kernel extension {kernels.native_module_name()}: {BUILD_HINT}"
    return module


def use_kernels(monkeypatch, which: str) -> None:
    """Route every `automaton.kernels` call to the ahead-of-time or the JIT kernels, with an
    empty byte-trie cache so that the vocabulary's trie is built by them too."""
    for name in kernels.KERNEL_SIGNATURES:
        kernel = kernels.native_kernel(name) if which == "native" else kernels.jit_kernel(name)
        monkeypatch.setattr(kernels, name, kernel)
    monkeypatch.setattr(byte_trie_module, "_BYTE_TRIES", {})


def build_both(monkeypatch, build):
    results = {}
    for which in ("native", "jit"):
        with monkeypatch.context() as patch:
            use_kernels(patch, which)
            results[which] = build()
    return results["native"], results["jit"]


def assert_same_arrays(native_arrays: dict, jit_arrays: dict) -> None:
    assert native_arrays.keys() == jit_arrays.keys()
    for name, array in native_arrays.items():
        assert array.dtype == jit_arrays[name].dtype, name
        np.testing.assert_array_equal(array, jit_arrays[name], err_msg=name)


def test_extension_is_current_and_used(native):
    assert native.__name__ == f"automaton.kernels.{kernels.native_module_name()}"
    for name in kernels.KERNEL_SIGNATURES:
        assert getattr(kernels, name).__module__ == "automaton.kernels", name


def imports_numba(script: str) -> bool:
    """Whether `script`, run in a fresh interpreter (its asserts must hold), imported numba."""
    script += "\nimport sys\nprint('numba' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


def test_compile_path_does_not_import_numba(native):
    assert not imports_numba(
        "import automaton\n"
        "v = automaton.Vocabulary.from_token_bytes([b'a', b'b', b'ab', None], eos_token_ids=[3])\n"
        "index = automaton.compile_index(r'(ab)+a?', v, cache=False)\n"
        "assert index.allowed_token_ids(index.initial_state).tolist() == [0, 2]"
    )


def test_loading_and_stepping_do_not_import_numba(native, tmp_path):
    path = tmp_path / "index.safetensors"
    vocabulary = automaton.Vocabulary.from_token_bytes([b"a", b"b", b"ab", None], eos_token_ids=[3])
    automaton.compile_index(r"(ab)+a?", vocabulary, cache=False).save(path)
    assert not imports_numba(
        "import automaton\n"
        f"index = automaton.load_index({str(path)!r})\n"
        "state = index.next_state(index.initial_state, 2)\n"
        "assert state >= 0 and index.next_state(state, 1) < 0 and index.allowed_token_ids(state).tolist() == [0, 2, 3]"
    )


@pytest.mark.parametrize("name", sorted(BENCH_PATTERNS))
def test_same_dfa(native, monkeypatch, name):
    pattern = BENCH_PATTERNS[name]
    ahead, jit = build_both(monkeypatch, lambda: compile_dfa(pattern))
    assert ahead.initial_state == jit.initial_state
    assert_same_arrays(
        {"table": ahead.table, "accepting": ahead.accepting, "classes": ahead.byte_classes},
        {"table": jit.table, "accepting": jit.accepting, "classes": jit.byte_classes},
    )


@pytest.mark.parametrize("merge", [True, False], ids=["class-trie", "byte-trie"])
@pytest.mark.parametrize("name", ["seed_json", "email", "bounded_200", "person_schema"])
def test_same_index(native, monkeypatch, smollm2_vocabulary, name, merge):
    dfa = compile_dfa(BENCH_PATTERNS[name])
    ahead, jit = build_both(
        monkeypatch, lambda: build_index(dfa, smollm2_vocabulary, max_states=100_000, merge_classes=merge)
    )
    assert_same_arrays(ahead.arrays(), jit.arrays())


def test_same_errors(native, monkeypatch, smollm2_vocabulary):
    only_a = automaton.Vocabulary.from_token_bytes([b"a", None], eos_token_ids=[1])
    cases = [
        ("(a|b){3}" * 40, smollm2_vocabulary, automaton.TooManyStatesError),  # in determinization
        ("ab", only_a, automaton.IncompatibleVocabularyError),  # no live path in the walk
    ]
    for pattern, vocabulary, error in cases:
        messages = []
        for which in ("native", "jit"):
            with monkeypatch.context() as patch:
                use_kernels(patch, which)
                with pytest.raises(error) as raised:
                    automaton.compile_index(pattern, vocabulary, cache=False, max_states=50)
                messages.append(str(raised.value))
        assert messages[0] == messages[1]


def test_other_argument_types_go_to_the_jit_kernel(native):
    # The compiled function would read an int32 array as int64 (or crash); the check reroutes it.
    accepting = np.array([False, False, True, False])
    offsets = np.array([0, 0, 1, 1, 1], dtype=np.int64)  # one edge: state 1 -> state 2
    succ = np.array([2], dtype=np.int32)
    expected = kernels.jit_kernel("live_index_states")(accepting, offsets, succ)
    live_states = kernels.native_kernel("live_index_states")
    assert live_states(accepting, offsets, succ).tolist() == expected.tolist() == [False, True, True, False]
    for args in [
        (accepting, offsets.astype(np.int32), succ.astype(np.int64)),  # other dtype
        (accepting, offsets, np.repeat(succ, 2)[::2]),  # not contiguous
        (accepting.astype(np.int8), offsets, succ),
    ]:
        assert live_states(*args).tolist() == expected.tolist()
    with pytest.raises(TypeError):
        live_states(accepting, offsets)


def test_compiled_kernels_release_the_gil(native):
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 12, size=400_000)
    offsets = np.zeros(len(lengths) + 1, np.int64)
    offsets[1:] = np.cumsum(lengths)
    data = rng.integers(0, 256, size=int(offsets[-1]), dtype=np.uint8)
    ids, keys = kernels.native_kernel("token_sort_keys")(data, offsets)
    order = np.argsort(keys)
    ids, keys = ids[order], keys[order]
    sorted_byte_trie = kernels.native_kernel("sorted_byte_trie")
    seen, calls = [], []
    done = threading.Event()

    def tick():
        while not done.is_set():
            seen.append(time.perf_counter())
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        while sum(end - start for start, end in calls) < 0.5:  # however fast the machine
            started = time.perf_counter()
            sorted_byte_trie(data, offsets, ids, keys)
            calls.append((started, time.perf_counter()))
    finally:
        done.set()
        ticker.join()
    # Ticks well inside a call: none at all if the call held the GIL.
    inside = [t for t in seen if any(start + 0.01 < t < end - 0.01 for start, end in calls)]
    assert len(inside) >= 5, f"the other thread ran {len(inside)} times during {len(calls)} calls"


def test_build_command_reports_up_to_date(native):
    out = subprocess.run(
        [sys.executable, "-m", "automaton", "build-kernels"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("up to date: ") and kernels.native_module_name() in out.stdout


def test_a_build_removes_only_extensions_of_other_sources(tmp_path, monkeypatch):
    from automaton.kernels import aot as build_kernels

    monkeypatch.setattr(build_kernels, "PACKAGE_FOLDER", tmp_path)
    current = kernels.native_module_name()
    names = [
        f"{current}.cpython-311-x86_64-linux-gnu.so",
        f"{current}.cpython-312-x86_64-linux-gnu.so",  # another Python, same sources: kept
        "_native_0123456789abcdef.cpython-311-x86_64-linux-gnu.so",  # older sources: removed
    ]
    other_level = current[: len("_native_") + 16] if current.endswith("_x86_64_v3") else current + "_x86_64_v3"
    names.append(f"{other_level}.cpython-311-x86_64-linux-gnu.so")  # another CPU level, same sources: kept
    names.append("_native_0123456789abcdef_x86_64_v3.cpython-311-x86_64-linux-gnu.so")  # older sources: removed
    for name in names:
        (tmp_path / name).write_bytes(b"")
    removed = build_kernels._remove_stale(tmp_path / names[0])
    assert sorted(path.name for path in removed) == sorted([names[2], names[4]])
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([names[0], names[1], names[3]])


def test_an_extension_that_does_not_load_warns_and_leaves_the_jit_kernels(native, monkeypatch):
    import importlib

    real_import = importlib.import_module

    def broken(name, *args):
        if name.startswith("automaton.kernels._native_"):
            raise ImportError("numpy.core.multiarray failed to import")
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", broken)
    kernels.native_module.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="did not load .*failed to import.*build-kernels --force"):
            assert kernels.native_module() is None
        assert kernels.native_kernel("live_index_states") is None
    finally:
        monkeypatch.undo()
        kernels.native_module.cache_clear()
    assert kernels.native_module() is not None


def test_the_environment_variable_turns_the_extension_off(native, monkeypatch):
    monkeypatch.setenv(kernels.KERNELS_ENV, "jit")
    kernels.native_module.cache_clear()
    try:
        assert kernels.native_module() is None
        assert kernels.native_kernel("explore_states") is None
    finally:
        monkeypatch.undo()
        kernels.native_module.cache_clear()
    assert kernels.native_module() is native


@pytest.mark.parametrize("width", ["i2", "i4", "i8"])
def test_mask_kernels_agree(native, width):
    rng = np.random.default_rng(5)
    dtype = kernels._DTYPES[width]
    neg_inf = dtype.type(-7)
    byte_bits = (
        np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1, bitorder="little").view(np.uint64).ravel()
    )
    for batch, n_cols, n_mask_bytes in [(1, 5000, 625), (3, 4100, 400), (2, 64, 8)]:  # 400 bytes: a narrower mask
        raw = rng.integers(0, 1000, size=(batch, n_cols)).astype(dtype)
        mask_bytes = rng.integers(0, 256, size=(batch, n_mask_bytes), dtype=np.uint8)
        mask_bytes[0, : n_mask_bytes // 4] = 0  # chunks all clear ...
        mask_bytes[-1, n_mask_bytes // 2 :] = 255  # ... and all set
        expected = raw.copy()
        bits = np.unpackbits(mask_bytes, axis=1, bitorder="little")[:, :n_cols].astype(bool)
        expected[:, : bits.shape[1]][~bits] = neg_inf
        expected[:, bits.shape[1] :] = neg_inf
        for kernel in (kernels.native_kernel(f"fill_rows_{width}"), kernels.jit_kernel(f"fill_rows_{width}")):
            out = raw.copy()
            assert kernel(out, mask_bytes, neg_inf, byte_bits) == batch
            np.testing.assert_array_equal(out, expected)


def test_masking_cpu_logits_does_not_import_numba(native):
    assert not imports_numba(
        "import torch\n"
        "from decode.masking import apply_token_bitmask_\n"
        "logits = torch.zeros(2, 70)\n"
        "bitmask = torch.tensor([[5, 0, 1], [0, 0, 0]], dtype=torch.int32)\n"
        "apply_token_bitmask_(logits, bitmask)\n"
        "assert logits[0].isfinite().nonzero().flatten().tolist() == [0, 2, 64], logits\n"
        "assert not logits[1].isfinite().any()"
    )


V3_FLAGS = "fpu sse2 pni ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt xsave avx f16c lahf_lm abm bmi1 avx2 bmi2"


@pytest.mark.parametrize(
    "flags, level",
    [
        (V3_FLAGS, "x86_64_v3"),
        (V3_FLAGS + " avx512f avx512bw", "x86_64_v3"),
        (V3_FLAGS.replace(" avx2", ""), ""),  # AVX but no AVX2 (Sandy Bridge)
        (V3_FLAGS.replace(" bmi2", ""), ""),
        (V3_FLAGS.replace(" abm", ""), ""),  # no LZCNT
    ],
)
def test_cpu_level_needs_every_x86_64_v3_flag(flags, level):
    text = f"processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: {flags}\nbugs\t\t: sysret_ss_attrs\n"
    assert kernels.level_of_cpuinfo(text) == level
    assert kernels.level_of_cpuinfo("processor\t: 0\n") == ""  # no flags line: generic code


def test_the_extension_name_carries_this_cpus_level():
    name = kernels.native_module_name()
    level = kernels.cpu_level()
    assert name.startswith("_native_") and len(name.split("_")[2]) == 16
    assert name.endswith("_x86_64_v3") == (level == "x86_64_v3")
    if platform.machine().lower() in ("x86_64", "amd64") and Path("/proc/cpuinfo").is_file():
        assert level == kernels.level_of_cpuinfo(Path("/proc/cpuinfo").read_text(errors="replace"))
