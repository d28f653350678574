"""Build the ahead-of-time kernel extension (`automaton.kernels`): `python -m automaton build-kernels`.

    build_native_kernels(force=False) -> BuildResult

Compiles each kernel of `automaton.kernels.KERNEL_SIGNATURES` with numba's `pycc` into
`automaton/_native_<digest>[_x86_64_v3].<extension suffix>` and removes the extensions of
other sources. The code is generic for this platform, or for the x86-64-v3 level (AVX2) when
this CPU has it (`automaton.kernels.cpu_level`): a machine of another level looks for another
name, so a moved file is never run where its instructions are missing. Like the JIT kernels
(`nogil=True`), the compiled functions release the GIL while they run. The compiler writes into
a temporary folder and the finished file is renamed into place, so a process never imports a
half-written extension and several builds at once all succeed. Takes a minute or so, and needs
a C compiler.
"""
from __future__ import annotations

import importlib
import os
import sysconfig
import tempfile
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from automaton.errors import KernelBuildError
from automaton.kernels import KERNEL_SIGNATURES, cpu_level, jit_kernel, native_module_name

__all__ = ["build_native_kernels", "BuildResult", "KernelBuildError"]

PACKAGE_FOLDER = Path(__file__).parent


@dataclass(frozen=True)
class BuildResult:
    path: Path
    built: bool  # False when an up-to-date extension was already there
    seconds: float
    removed: tuple[Path, ...] = ()


def native_path() -> Path:
    """Where the extension matching the current kernel sources lives."""
    return PACKAGE_FOLDER / (native_module_name() + sysconfig.get_config_var("EXT_SUFFIX"))


def build_native_kernels(force: bool = False) -> BuildResult:
    """Compile the kernels ahead of time unless an up-to-date extension is there already."""
    started = time.perf_counter()
    target = native_path()
    removed = _remove_stale(target)
    if target.is_file() and not force:
        return BuildResult(target, False, time.perf_counter() - started, removed)
    try:
        from numba.pycc import CC
    except ImportError as error:  # pycc may leave numba one day; the JIT kernels stay
        raise KernelBuildError(f"this numba cannot compile ahead of time: {error}") from None

    name = native_module_name()
    with tempfile.TemporaryDirectory(prefix=".build-", dir=PACKAGE_FOLDER) as scratch:
        compiler = CC(name)
        if cpu_level() == "x86_64_v3":
            compiler.target_cpu = "x86-64-v3"
        compiler.output_dir = scratch
        compiler.verbose = False
        for kernel, (_, argument_types, result_type) in KERNEL_SIGNATURES.items():
            signature = f"{result_type}({', '.join(argument_types)})"
            compiler.export(kernel, signature)(jit_kernel(kernel).py_func)
        with warnings.catch_warnings(), _wrappers_release_the_gil():
            warnings.simplefilter("ignore")  # numba's notice that pycc is pending deprecation
            try:
                compiler.compile()
            except Exception as error:  # compiler and linker failures come in many types
                raise KernelBuildError(f"compiling the kernels failed: {type(error).__name__}: {error}") from None
        built = Path(scratch) / target.name
        if not built.is_file():
            raise KernelBuildError(f"the compiler did not write {target.name}")
        os.replace(built, target)
    importlib.invalidate_caches()
    return BuildResult(target, True, time.perf_counter() - started, removed)


@contextmanager
def _wrappers_release_the_gil():
    """pycc has no `nogil` option; its Python wrappers release the GIL when the compile flags
    it creates ask for it."""
    from numba.pycc import compiler as pycc_compiler

    plain_flags = pycc_compiler.Flags

    class ReleasingFlags(plain_flags):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.release_gil = True

    pycc_compiler.Flags = ReleasingFlags
    try:
        yield
    finally:
        pycc_compiler.Flags = plain_flags


def _remove_stale(current: Path) -> tuple[Path, ...]:
    """Remove extensions built from other kernel sources. Those built from these sources for
    another Python version or another CPU level stay: a package folder shared by machines of
    two levels keeps one extension for each."""
    removed = []
    current_digest = _source_digest(current.name)
    for path in PACKAGE_FOLDER.glob("_native_*"):
        if _source_digest(path.name) != current_digest and path.is_file():
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass  # in use elsewhere or read-only: it is never loaded again anyway
    return tuple(removed)


def _source_digest(file_name: str) -> str:
    """The digest of the kernel sources in an extension's file name (`_native_<digest>...`)."""
    return file_name[len("_native_") :].split(".", 1)[0].split("_", 1)[0]
