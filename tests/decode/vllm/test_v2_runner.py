"""`AutomatonLogitsProcessor` under vLLM's V2 model runner (its default on GPUs).

The V2 runner does not run on CPUs, so these tests drive the processor as that runner does,
through vLLM's own V2 pieces: the loader (`build_custom_logits_processors`), the
`LogitsProcRequestState` and `LogitsContext` it hands over, and a step loop that keeps the
runner's bookkeeping (persistent slots recycled without notice, chunked prefills, rows
reordered every step, tokens committed to `all_token_ids`, preempted requests resumed with their
output as prefill). Logits are random, so every allowed token gets its turn; every finished
request is checked by the independent oracles of `cases.check_output` (Python `re`,
`jsonschema`), and free requests' logits must come back untouched."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer
from vllm import SamplingParams
from vllm.config import ModelConfig, VllmConfig
from vllm.exceptions import VLLMValidationError
from vllm.v1.worker.gpu.sample.logits_processor import (
    LogitsContext,
    build_custom_logits_processors,
    build_custom_logits_processors_params_validator,
)

from decode.errors import RequestConstraintError
from decode.vllm import AutomatonLogitsProcessor
from tests.decode.vllm.cases import FREE_PROMPTS, PATTERNS, PERSON, PROMPTS, check_output

SLOTS = 6
MAX_LEN = 512
CHUNK = 3  # prefill tokens per step: prompts take several steps
MAX_TOKENS = 160


@pytest.fixture(scope="module")
def vllm_config(model_folder):
    return VllmConfig(model_config=ModelConfig(model=str(model_folder)))


@pytest.fixture(scope="module")
def tokenizer(model_folder):
    return Tokenizer.from_file(str(model_folder / "tokenizer.json"))


class _Runner:
    """The V2 runner's request bookkeeping, on the CPU, around one processor."""

    def __init__(self, vllm_config, seed: int):
        self.width = vllm_config.model_config.get_vocab_size()
        host = {name: np.zeros(SLOTS, dtype=np.int32) for name in ("prompt_len", "prefill_len")}
        self.states = SimpleNamespace(
            device=torch.device("cpu"), max_num_reqs=SLOTS, vocab_size=self.width,
            all_token_ids=SimpleNamespace(gpu=torch.zeros(SLOTS, MAX_LEN, dtype=torch.int32)),
            prompt_len=SimpleNamespace(np=host["prompt_len"], gpu=torch.from_numpy(host["prompt_len"])),
            prefill_len=SimpleNamespace(np=host["prefill_len"], gpu=torch.from_numpy(host["prefill_len"])),
            total_len=SimpleNamespace(gpu=torch.zeros(SLOTS, dtype=torch.int32)),
        )
        (self.processor,) = build_custom_logits_processors(vllm_config, self.states, False,
                                                           [AutomatonLogitsProcessor])
        self.eos = sorted(self.processor.vocabulary().eos_token_ids)
        self.rng = np.random.default_rng(seed)
        self.free = list(range(SLOTS))
        self.running: dict[int, dict] = {}  # slot -> request
        self.computed = np.zeros(SLOTS, dtype=np.int64)  # tokens fed to the model so far
        self.finished: list[dict] = []
        self.free_rows_checked = 0

    def admit(self, request: dict) -> int:
        """A new request, or a preempted one resuming with its output as prefill."""
        slot = self.free.pop(int(self.rng.integers(len(self.free))))
        prefill = request["prompt"] + request["output"]
        self.states.all_token_ids.gpu[slot, : len(prefill)] = torch.tensor(prefill, dtype=torch.int32)
        self.states.prompt_len.np[slot] = len(request["prompt"])
        self.states.prefill_len.np[slot] = len(prefill)
        self.states.total_len.gpu[slot] = len(prefill)
        self.computed[slot] = 0
        wanted = self.processor.add_request(slot, request["params"])
        assert wanted == (request["constraint"] is not None)
        self.processor.apply_staged_writes()
        self.running[slot] = request
        return slot

    def preempt(self, slot: int) -> dict:
        request = self.running.pop(slot)
        self.free.append(slot)
        return request

    def step(self, forced: dict[int, int] | None = None) -> dict[int, torch.Tensor]:
        """One step over the running requests in a random order; returns each sampling slot's
        masked logits row. `forced` overrides the sampled token of some slots."""
        slots = [int(s) for s in self.rng.permutation(sorted(self.running))]
        positions, fed = [], []
        for slot in slots:
            total = int(self.states.total_len.gpu[slot])
            done = int(self.computed[slot])
            count = min(CHUNK, total - done) if done < total - 1 else 1
            positions.append(done + count - 1)
            fed.append(int(self.states.all_token_ids.gpu[slot, done + count - 1]))
            self.computed[slot] = done + count
        mapping = torch.tensor(slots, dtype=torch.int32)
        ctx = LogitsContext(
            expanded_idx_mapping=mapping, idx_mapping=mapping, idx_mapping_np=mapping.numpy(),
            expanded_local_pos=torch.zeros(len(slots), dtype=torch.int32),
            input_ids=torch.tensor(fed, dtype=torch.int32), pos=torch.tensor(positions, dtype=torch.int64),
            seq_lens_upper_bound_np=np.array(positions) + 1,
        )
        logits = torch.from_numpy(self.rng.standard_normal((len(slots), self.width), dtype=np.float32))
        logits[:, self.eos] += 4.0  # end soon where the constraint allows it
        before = logits.clone()
        logits = self.processor.apply(logits, ctx)
        rows = {}
        for row, slot in enumerate(slots):
            request = self.running[slot]
            if request["constraint"] is None:
                assert torch.equal(logits[row], before[row]), "a free request's logits were changed"
                self.free_rows_checked += 1
            if positions[row] + 1 < int(self.states.total_len.gpu[slot]):
                continue  # a chunk of prefill: nothing sampled
            rows[slot] = logits[row]
            token = int(torch.argmax(logits[row])) if forced is None or slot not in forced else forced[slot]
            total = int(self.states.total_len.gpu[slot])
            self.states.all_token_ids.gpu[slot, total] = token
            self.states.total_len.gpu[slot] = total + 1
            request["output"].append(token)
            if token in self.eos or len(request["output"]) >= request["max_tokens"]:
                self.finished.append(self.preempt(slot))
        return rows


def _requests(tokenizer) -> list[dict]:
    cases = [(p, {"regex": pattern}) for p, pattern in zip(PROMPTS, PATTERNS)]
    cases += [("A person as JSON:", {"json_schema": PERSON}),
              ("A person, compact:", {"json_schema": PERSON, "layout": "compact"})]
    cases += [(prompt, None) for prompt in FREE_PROMPTS]
    return [{"prompt": tokenizer.encode(prompt).ids, "constraint": constraint, "output": [],
             "params": SamplingParams(max_tokens=MAX_TOKENS, extra_args=constraint),
             "max_tokens": MAX_TOKENS if constraint is not None else 12}
            for prompt, constraint in cases]


def _check_finished(runner: _Runner, tokenizer, count: int) -> None:
    assert len(runner.finished) == count
    for request in runner.finished:
        if request["constraint"] is None:
            continue
        assert request["output"][-1] in runner.eos, ("cut off", request["constraint"], request["output"])
        check_output(request["constraint"], tokenizer.decode(request["output"][:-1], skip_special_tokens=False))


def test_v2_loader_takes_the_processor_and_every_request_keeps_its_own_constraint(vllm_config, tokenizer):
    runner = _Runner(vllm_config, seed=0)
    waiting = _requests(tokenizer)
    total = len(waiting)
    assert total > SLOTS  # slots are recycled, constrained and free in turn
    for _ in range(2000):
        while waiting and runner.free:
            runner.admit(waiting.pop(0))
        if not runner.running:
            break
        runner.step()
    _check_finished(runner, tokenizer, total)
    assert runner.free_rows_checked > 0


def test_preempted_requests_resume_from_their_output(vllm_config, tokenizer):
    runner = _Runner(vllm_config, seed=1)
    waiting = [r for r in _requests(tokenizer) if r["constraint"] is not None]
    total, resumed, step = len(waiting), 0, 0
    while waiting or runner.running:
        while waiting and runner.free:
            runner.admit(waiting.pop(0))
        runner.step()
        step += 1
        assert step < 2000
        if step % 7 == 0:  # preempt a request that has output, once; it comes back later, in some slot
            with_output = [slot for slot, r in runner.running.items() if len(r["output"]) >= 2 and "resumed" not in r]
            if with_output:
                request = runner.preempt(with_output[0])
                request["resumed"] = True
                waiting.append(request)
                resumed += 1
    _check_finished(runner, tokenizer, total)
    assert resumed >= 3


def test_a_token_outside_the_mask_leaves_its_request_only_eos(vllm_config, tokenizer):
    runner = _Runner(vllm_config, seed=2)
    request = _requests(tokenizer)[0]  # \d{3}-\d{4}
    slot = runner.admit(request)
    rows = {}
    while slot not in rows:  # through the prefill chunks to the first sampled token
        rows = runner.step(forced={slot: tokenizer.token_to_id("a")})
    assert request["output"] == [tokenizer.token_to_id("a")]
    allowed = torch.isfinite(runner.step()[slot]).nonzero().flatten().tolist()
    assert allowed == runner.eos  # the output left the pattern: the request may only end
    assert runner.finished == [request]


def test_v2_admission_refuses_a_bad_constraint_with_vllms_validation_error():
    validate = build_custom_logits_processors_params_validator(["decode.vllm:AutomatonLogitsProcessor"])
    validate(SamplingParams(extra_args={"regex": PATTERNS[0]}))
    validate(SamplingParams())
    with pytest.raises(VLLMValidationError) as caught:
        validate(SamplingParams(extra_args={"regex": "[unclosed"}))
    assert isinstance(caught.value.__cause__, RequestConstraintError)
    assert "[unclosed" in str(caught.value)
