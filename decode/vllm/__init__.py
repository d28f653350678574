"""`AutomatonLogitsProcessor`: token indexes inside vLLM, one constraint per request.

    from vllm import LLM, SamplingParams
    from decode.vllm import AutomatonLogitsProcessor

    llm = LLM(model=str(decode.models.default_model_path()), logits_processors=[AutomatonLogitsProcessor])
    llm.generate(prompts, [SamplingParams(extra_args={"regex": r"\\d{3}-\\d{4}"}),
                           SamplingParams(extra_args={"json_schema": schema, "layout": "compact"}),
                           SamplingParams(extra_args={"index": "date.index"}),
                           SamplingParams()])                       # no constraint: runs free

    vllm serve MODEL --logits-processors decode.vllm:AutomatonLogitsProcessor
    # the OpenAI-compatible server passes "vllm_xargs": {"regex": "..."} through as extra_args

Each request names at most one constraint in `SamplingParams.extra_args`: "regex" (a pattern),
"json_schema" (a dict or JSON text, with an optional "layout": "spaced", "compact" or an int
indent, as in `automaton.compile_index`), or "index" (the path of an index file built for the
served model's vocabulary). Its output then fully matches the constraint when it stops on EOS
(EOS ids are allowed only in accepting states); requests without one are left alone.

Where the work happens:
  - admission (vLLM's front end, `validate_params`): the constraint is checked and its pattern or
    schema compiled to a DFA (memoized), so a bad pattern fails its own request at once with a
    `RequestConstraintError` naming the problem (vLLM's server answers HTTP 400), never running
    unconstrained. An index file's header and checksum are read there too.
  - the worker (V1: `update_state`, once per step; V2: `add_request`): an added request's index
    is built for the model's vocabulary (`automaton.compile_index`, which reuses the shared
    index cache; a new pattern holds the step up by its own build time only); each running
    request is advanced by the tokens it produced since the last step (V1 there, V2 in `apply`),
    and V1's rows are followed through vLLM's moves and swaps.
  - `apply(logits)`: the mask rows of every index in use live in one table on the logits'
    device (an all-ones row first, for free requests); per step ONE gather of a row per request
    (numpy's `take` on the CPU, `index_select` elsewhere) and ONE masked fill of the whole batch
    (`decode.masking.apply_token_bitmask_`).

The vocabulary is the served tokenizer's (`model_config.tokenizer`, a local folder read with the
`tokenizers` library, else loaded with transformers) at the model's logits width, with the EOS
ids vLLM stops on: the tokenizer's and those of the model's generation config. An index that no
longer fits (an index file of another vocabulary, a pattern that this vocabulary cannot spell)
is found only in the worker: that request is then allowed nothing but EOS (it ends at once with
an empty output, never unconstrained) and the error is logged.

The class implements both of vLLM's logits-processor interfaces, that of the V1 model runner
(CPUs, or `VLLM_USE_V2_MODEL_RUNNER=0`) and that of the V2 runner (GPUs by default), see
`decode.vllm.processor`. Speculative decoding is not supported.

Modules: `constraints` (what `extra_args` ask for, checked at admission), `vocabulary` (the
served model's vocabulary), `request_table` (compiled constraints, index states, the mask
table), `processor` (the class, for both runners).
"""
from decode.vllm.constraints import CONSTRAINT_KEYS, Constraint, check_constraint, request_constraint
from decode.vllm.processor import AutomatonLogitsProcessor
from decode.vllm.vocabulary import served_vocabulary

__all__ = ["AutomatonLogitsProcessor", "Constraint", "request_constraint", "check_constraint", "served_vocabulary",
           "CONSTRAINT_KEYS"]
