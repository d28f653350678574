"""`AutomatonLogitsProcessor`: one class for both of vLLM's logits-processor interfaces.

vLLM 0.32 has two model runners, each loading processors of its own interface: the V1 runner
(CPUs, and wherever `VLLM_USE_V2_MODEL_RUNNER=0`) takes subclasses of
`vllm.v1.sample.logits_processor.LogitsProcessor`, the V2 runner (GPUs by default) subclasses of
`vllm.v1.worker.gpu.sample.logits_processor.LogitsProcessor`. This class derives from both
(from V1's alone where the installed vLLM has no V2 interface), so `logits_processors=[...]`
and `--logits-processors decode.vllm:AutomatonLogitsProcessor` work under either runner. The
runner shows which one it is by how it builds the processor: V1 passes `(vllm_config, device,
is_pin_memory)`, V2 `(vllm_config, req_states)`.

V1: requests are keyed by batch position. `update_state` follows vLLM's added / removed / moved
requests and advances each by the tokens its live output list gained; `apply(logits)` masks
row `i` with the state of the request at position `i`.

V2: requests are keyed by their persistent slot, recycled without notice (`add_request` starts
a slot afresh). Output tokens live on the device, so `apply(logits, ctx)` learns them from the
step itself: logits row i belongs to slot `ctx.idx_mapping[i]`, was computed at position
`ctx.pos[i]` from the token `ctx.input_ids[i]`, so that slot has committed `pos + 1 -
prompt_len` output tokens, the last one being `input_ids[i]`. One device-to-host copy of those
two values for the constrained rows per step; a request that committed more than one token
since its last step (resumed after preemption, or served by another rank of a sharded sampler)
reads the others from `req_states.all_token_ids`. Rows of chunked prefills commit nothing.

Neither runner's speculative decoding is supported: the processor refuses to start with it.
"""
from __future__ import annotations

import numpy as np
import torch
from vllm.v1.sample.logits_processor import BatchUpdate, MoveDirectionality
from vllm.v1.sample.logits_processor import LogitsProcessor as V1LogitsProcessor

from decode.errors import RequestConstraintError
from decode.masking import apply_token_bitmask_
from decode.vllm.constraints import check_constraint
from decode.vllm.request_table import ConstrainedRequest, RequestTable

try:
    from vllm.v1.worker.gpu.sample.logits_processor import LogitsProcessor as V2LogitsProcessor
except ImportError:  # a vLLM without the V2 model runner
    V2LogitsProcessor = None

__all__ = ["AutomatonLogitsProcessor", "V2LogitsProcessor"]

_BASES = (V1LogitsProcessor,) if V2LogitsProcessor is None else (V1LogitsProcessor, V2LogitsProcessor)


class AutomatonLogitsProcessor(*_BASES):
    """vLLM logits processor (V1 and V2 interfaces): each request keeps to the constraint of its
    `extra_args`."""

    @classmethod
    def validate_params(cls, sampling_params) -> None:
        check_constraint(getattr(sampling_params, "extra_args", None))

    def __init__(self, vllm_config, *runner_args):
        if getattr(vllm_config, "speculative_config", None) is not None:
            raise RequestConstraintError("AutomatonLogitsProcessor does not support speculative decoding")
        self._table = RequestTable(vllm_config.model_config)
        self._requests: dict[int, ConstrainedRequest] = {}  # by batch position (V1) or slot (V2)
        self._req_states = runner_args[0] if len(runner_args) == 1 else None  # V2 only

    def vocabulary(self):
        """The served model's `automaton.Vocabulary` (built at the first constrained request)."""
        return self._table.vocabulary()

    def apply(self, logits: torch.Tensor, ctx=None) -> torch.Tensor:
        if ctx is None:
            return self._apply_v1(logits)
        return self._apply_v2(logits, ctx)

    # -- V1 runner --------------------------------------------------------------------------------

    def is_argmax_invariant(self) -> bool:
        return False  # masking changes which token is the most likely

    def update_state(self, batch_update: BatchUpdate | None) -> None:
        requests = self._requests
        if batch_update is not None:
            for position in batch_update.removed:
                requests.pop(position, None)
            for position, params, _prompt, output in batch_update.added:
                requests.pop(position, None)
                request = self._table.request(params, f"batch position {position}", list(requests.values()), output)
                if request is not None:
                    requests[position] = request
            for first, second, direction in batch_update.moved:
                moving = requests.pop(first, None)
                if direction == MoveDirectionality.SWAP:
                    staying = requests.pop(second, None)
                    if staying is not None:
                        requests[first] = staying
                else:
                    requests.pop(second, None)
                if moving is not None:
                    requests[second] = moving
        for request in requests.values():
            if len(request.output) > request.seen:
                self._table.advance(request, request.output[request.seen:])

    def _apply_v1(self, logits: torch.Tensor) -> torch.Tensor:
        picks = [(position, request) for position, request in self._requests.items() if position < logits.shape[0]]
        if not picks:
            return logits
        return apply_token_bitmask_(logits, self._table.batch_masks(picks, logits.shape[0], logits.device))

    # -- V2 runner --------------------------------------------------------------------------------

    def add_request(self, req_idx: int, sampling_params) -> bool:
        self._requests.pop(req_idx, None)
        request = self._table.request(sampling_params, f"slot {req_idx}", list(self._requests.values()))
        if request is None:
            return False
        self._requests[req_idx] = request
        return True

    def apply_staged_writes(self) -> None:
        pass  # nothing staged: constraint state lives on the host

    def _apply_v2(self, logits: torch.Tensor, ctx) -> torch.Tensor:
        slots = np.asarray(ctx.idx_mapping_np)
        if logits.shape[0] != slots.shape[0]:
            raise RequestConstraintError(
                f"{logits.shape[0]} logits rows for {slots.shape[0]} requests: AutomatonLogitsProcessor "
                "needs one row per request (no speculative decoding)"
            )
        rows = [i for i, slot in enumerate(slots.tolist()) if slot in self._requests]
        if not rows:
            return logits
        at = torch.as_tensor(rows, dtype=torch.int64).to(ctx.input_ids.device, non_blocking=True)
        fed = torch.stack((ctx.input_ids[at].to(torch.int64), ctx.pos[at].to(torch.int64))).cpu().numpy()
        prompt_len = self._req_states.prompt_len.np
        picks = []
        for k, i in enumerate(rows):
            slot = int(slots[i])
            request = self._requests[slot]
            token, position = int(fed[0, k]), int(fed[1, k])
            committed = position + 1 - int(prompt_len[slot])
            if committed == request.seen + 1:
                self._table.advance(request, (token,))
            elif committed > request.seen + 1:
                start = int(prompt_len[slot]) + request.seen
                earlier = self._req_states.all_token_ids.gpu[slot, start:position].cpu().tolist()
                self._table.advance(request, earlier + [token])
            picks.append((i, request))
        return apply_token_bitmask_(logits, self._table.batch_masks(picks, logits.shape[0], logits.device))
