"""The numba kernels of the compile path (and those of a loaded index's checks and first step,
and the CPU mask kernel that `decode` applies during generation), ahead-of-time compiled when
that module is built.

    from automaton import kernels
    kernels.explore_states(...)      # same arguments and results as automaton.kernels.explore.explore_states

A numba JIT kernel costs about half a second in each new process before its first result, even
with numba's on-disk cache warm: importing numba, setting up its typing and lowering
registries, and loading each cached kernel. `python -m automaton build-kernels` compiles the
kernels below once, ahead of time (numba's `pycc`), into an extension module in this package;
a process that finds it up to date never imports numba, to compile, load or mask.

Each name resolves on first use to the ahead-of-time function when the extension is there and
was built from the kernel sources as they are now (its module name carries a digest of them),
otherwise to the numba JIT kernel (`cache=True`). The compiled functions trust their argument
types completely, so every call is checked against the exported signature first; arguments of
any other type, layout or count go to the JIT kernel instead.

    KERNEL_SIGNATURES   name -> (defining module, argument types, result type), in numba's
                        signature syntax: "i4[::1]" is a C-contiguous int32 vector, "i8" an int
    native_module_name() -> "_native_<digest>[_x86_64_v3]", the extension that matches the
                        sources and this CPU (see `cpu_level`)
    cpu_level()          -> "x86_64_v3" on an x86-64 CPU with AVX2, FMA, BMI1/2, F16C, LZCNT
                        and MOVBE (the extension is then compiled for that level: the generic
                        x86-64 code has no AVX2, which halves the mask kernel's speed), else ""
    native_module()      -> the loaded extension, or None when it is missing or stale
    native_kernel(name), jit_kernel(name) -> one kernel from either (the tests compare them)
"""
from __future__ import annotations

import hashlib
import importlib
import os
import platform
import warnings
from functools import cache
from pathlib import Path

import numpy as np

__all__ = [
    "KERNEL_SIGNATURES", "SOURCE_MODULES", "native_module_name", "cpu_level", "native_module", "native_kernel",
    "jit_kernel",
]

# Set to "jit" to ignore the ahead-of-time module (the tests compare the two).
KERNELS_ENV = "AUTOMATON_KERNELS"

SOURCE_MODULES = (
    "trie", "walk", "explore", "forced", "rows", "records", "checks", "minimize", "subsets", "logits", "layout",
    "product",
)

_TRIE = ("u1[::1]", "i4[::1]", "i4[::1]", "i4[::1]", "i4[::1]")  # node_class .. node_tokens
_WALKED_TRIE = (*_TRIE, "u8[:, ::1]", "u8[:, ::1]")  # and node_below, state_loops

KERNEL_SIGNATURES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "token_sort_keys": ("trie", ("u1[::1]", "i8[::1]"), "Tuple((i4[::1], u8[::1]))"),
    "sorted_byte_trie": ("trie", ("u1[::1]", "i8[::1]", "i4[::1]", "u8[::1]"), f"Tuple(({', '.join(_TRIE)}))"),
    "layout_trie": ("trie", ("i4[::1]", "u1[::1]", "i4[::1]", "i4[::1]"), f"Tuple(({', '.join(_TRIE)}))"),
    "quotient_trie": (
        "trie",
        (*_TRIE, "i8", "u1[::1]", "b1[::1]", "i8"),
        "Tuple((i4[::1], u1[::1], i4[::1], i4[::1]))",
    ),
    "subtree_symbols": ("trie", ("u1[::1]", "i4[::1]", "i8", "i8"), "u8[:, ::1]"),
    "explore_states": (
        "explore",
        ("i4[:, ::1]", "i8", "b1[::1]", "b1[::1]", *_WALKED_TRIE, "i8", "i4[::1]", "i8", "i8"),
        "Tuple((i8, i4[::1], i4[:, ::1], i4[::1], i8[::1], i4[::1]))",
    ),
    "walk_states": (
        "explore",
        ("i4[:, ::1]", "i4[::1]", "b1[::1]", "b1[::1]", *_WALKED_TRIE, "i8", "i4[::1]", "i8"),
        "Tuple((i4[:, ::1], i4[::1], i8[::1], i4[::1]))",
    ),
    "number_walked_states": (
        "explore",
        ("i8", "i8", "i4[::1]", "i4[::1]", "i4[:, ::1]", "i8[::1]", "i4[::1]", "i8"),
        "Tuple((i8, i4[::1], i4[:, ::1], i4[::1], i8[::1], i4[::1]))",
    ),
    "live_index_states": ("explore", ("b1[::1]", "i8[::1]", "i4[::1]"), "b1[::1]"),
    "product_table": (
        "product",
        ("i4[:, ::1]", "i4[:, ::1]", "i8", "i8", "i4[::1]", "i4[::1]", "b1[::1]", "b1[::1]", "i8", "i8"),
        "Tuple((i8, i4[:, ::1], b1[::1]))",
    ),
    "forced_chains": (
        "forced", ("i4[:, ::1]", "u1[::1]", "b1[::1]", "i4[::1]", "i8"), "Tuple((i8[::1], u1[::1]))"
    ),
    "gather_tokens": ("rows", ("u1[::1]", "i8[::1]", "i4[::1]"), "Tuple((u1[::1], i4[::1]))"),
    "finish_rows": (
        "rows", ("i4[:, ::1]", "i4[::1]", "b1[::1]", "i8"),
        "Tuple((i4[:, ::1], i4[::1], i4[::1], i4[::1], i4[::1]))",
    ),
    "token_records": (
        "records", ("u1[::1]", "i4[::1]", "u1[::1]", "i4[::1]"), "Tuple((u1[:, ::1], u1[::1]))"
    ),
    "index_problems": (
        "checks",
        ("i4[::1]", "i8", "i4[::1]", "i4[::1]", "i4[:, ::1]", "u1[::1]", "i4[::1]", "i4[::1]", "i4[::1]", "i8",
         "i8[::1]", "i8", "i4[::1]", "i4[::1]", "i8"),
        "i8",
    ),
    **{
        f"fill_rows_{width}": ("logits", (f"{width}[:, ::1]", "u1[:, ::1]", width, "u8[::1]"), "i8")
        for width in ("i2", "i4", "i8")
    },
    "minimize_setup": (
        "minimize",
        ("i4[:, ::1]", "b1[::1]"),
        "Tuple((i4[::1], i4[::1], i4[::1], i4[::1], i4[:, ::1], i8[:, ::1], i8[::1]))",
    ),
    "refine_steps": (
        "minimize", ("i4[::1]", "i4[::1]", "i4[::1]", "i4[::1]", "i4[:, ::1]", "i8[:, ::1]", "i8[::1]", "i8"), "i8"
    ),
    "minimize_finish": (
        "minimize",
        ("i4[:, ::1]", "b1[::1]", "i8", "u1[::1]", "i4[::1]"),
        "Tuple((i4[:, ::1], b1[::1], i8, u1[::1]))",
    ),
    "epsilon_closure": ("subsets", ("i8[::1]", "i4[::1]", "b1[::1]", "i8"), "i4[::1]"),
    "target_closures": (
        "subsets", ("i8[::1]", "i4[::1]", "b1[::1]", "i4[::1]", "i8"), "Tuple((i8[::1], i4[::1]))"
    ),
    "find_or_add_set": (
        "subsets",
        ("i4[::1]", "i4[::1]", "i8[::1]", "i8", "i8[::1]"),
        "Tuple((i8, i4[::1], i8[::1], i8, i8[::1], b1))",
    ),
    "subset_steps": (
        "subsets",
        (
            "i8[::1]", "i4[::1]", "b1[::1]", "i8[::1]", "i4[::1]",
            "i8[::1]", "i4[::1]", "i4[::1]", "i4[::1]", "i8", "i8",
            "i4[::1]", "i8[::1]", "i8", "i8[::1]", "i4[:, ::1]", "b1[::1]", "i8", "i8",
            "i8[::1]", "i4[::1]", "i4[::1]", "i8", "i8",
        ),
        "Tuple((i8, i4[::1], i8[::1], i8, i8[::1], i4[:, ::1], b1[::1], i8, i8))",
    ),
}

_DTYPES = {
    "u1": np.dtype(np.uint8), "i2": np.dtype(np.int16), "i4": np.dtype(np.int32), "i8": np.dtype(np.int64),
    "u8": np.dtype(np.uint64), "b1": np.dtype(np.bool_),
}


@cache
def native_module_name() -> str:
    """Name of the extension built from the kernel sources and signatures as they are now, for
    this CPU's level (an extension built on a CPU of another level is not loaded)."""
    digest = hashlib.sha256(repr(sorted(KERNEL_SIGNATURES.items())).encode())
    folder = Path(__file__).parent
    for name in SOURCE_MODULES:
        digest.update((folder / f"{name}.py").read_bytes())
    level = cpu_level()
    return "_native_" + digest.hexdigest()[:16] + (f"_{level}" if level else "")


# The CPU flags (as Linux names them in /proc/cpuinfo) of the x86-64-v3 level beyond the
# baseline; "abm" is Linux's name for LZCNT.
_X86_64_V3_FLAGS = frozenset(
    {"avx", "avx2", "bmi1", "bmi2", "fma", "f16c", "movbe", "abm", "xsave", "cx16", "lahf_lm", "popcnt",
     "pni", "ssse3", "sse4_1", "sse4_2"}
)


@cache
def cpu_level() -> str:
    """"x86_64_v3" when this is an x86-64 CPU of that level (read from /proc/cpuinfo, so only
    on Linux: reading it costs far less than asking LLVM), else "" (generic code)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return ""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as file:
            return level_of_cpuinfo(file.read(1 << 16))
    except OSError:
        return ""


def level_of_cpuinfo(text: str) -> str:
    """The level `cpu_level` reads from the text of /proc/cpuinfo (its first `flags` line)."""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return "x86_64_v3" if _X86_64_V3_FLAGS <= set(value.split()) else ""
    return ""


@cache
def native_module():
    """The ahead-of-time extension, or None (not built, built from other sources, turned off,
    or not loadable here)."""
    if os.environ.get(KERNELS_ENV, "").lower() == "jit":
        return None
    name = f"{__name__}.{native_module_name()}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            _warn_unloadable(name, error)
        return None
    except Exception as error:  # a build for another numpy or platform: the JIT kernels still work
        _warn_unloadable(name, error)
        return None


def _warn_unloadable(name: str, error: Exception) -> None:
    warnings.warn(
        f"the ahead-of-time kernels {name} did not load ({type(error).__name__}: {error}); using the "
        "numba JIT kernels. Rebuild them with `python -m automaton build-kernels --force`.",
        RuntimeWarning,
        stacklevel=3,
    )


def jit_kernel(name: str):
    """The numba JIT kernel `name` (importing numba)."""
    module = importlib.import_module(f"{__name__}.{KERNEL_SIGNATURES[name][0]}")
    return getattr(module, name)


def _argument_check(argument_types: tuple[str, ...]):
    """A function telling whether a call's arguments have exactly these types."""
    specs = []
    for text in argument_types:
        if "[" in text:
            base, dims = text.split("[", 1)
            specs.append((_DTYPES[base], dims.count(",") + 1))
        else:
            specs.append(None)
    count = len(specs)

    def matches(args) -> bool:  # on every call of a kernel: the common cases are tested first
        if len(args) != count:
            return False
        for value, spec in zip(args, specs):
            if spec is None:
                if type(value) is not int and (
                    not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_))
                ):
                    return False
                continue
            if type(value) is not np.ndarray:
                return False
            dtype = value.dtype
            if (dtype is not spec[0] and dtype != spec[0]) or value.ndim != spec[1]:
                return False
            flags = value.flags
            if not (flags.c_contiguous and flags.aligned):
                return False
        return True

    return matches


def native_kernel(name: str):
    """The ahead-of-time kernel `name`, each call's arguments checked against its signature
    (others go to the JIT kernel); None when the extension is not loaded."""
    native = native_module()
    if native is None:
        return None
    compiled = getattr(native, name)
    matches = _argument_check(KERNEL_SIGNATURES[name][1])

    def kernel(*args):
        if matches(args):
            return compiled(*args)
        return jit_kernel(name)(*args)

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = f"`{__name__}.{KERNEL_SIGNATURES[name][0]}.{name}`, ahead-of-time compiled."
    return kernel


def __getattr__(name: str):
    if name not in KERNEL_SIGNATURES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    kernel = native_kernel(name) or jit_kernel(name)
    globals()[name] = kernel  # later lookups skip this function
    return kernel
