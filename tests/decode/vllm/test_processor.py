"""`decode.vllm.AutomatonLogitsProcessor` in a real vLLM engine (CPU build) with the embedded model:
every request keeps to its own constraint in mixed batches, requests come and go at different
steps, a bad constraint fails only its own request, and the default model folder tokenizes
the same under vLLM as under the `tokenizers` library."""
from __future__ import annotations

import pytest
from tokenizers import Tokenizer
from vllm import SamplingParams
from vllm.exceptions import VLLMValidationError

import automaton
from decode.errors import RequestConstraintError
from tests.decode.vllm.cases import FREE_PROMPTS, PATTERNS, PERSON, PROMPTS, check_output

MAX_TOKENS = 96


def _params(constraint: dict | None, max_tokens: int = MAX_TOKENS) -> SamplingParams:
    return SamplingParams(temperature=0.0, max_tokens=max_tokens, extra_args=constraint)


def test_folder_tokenizes_as_its_tokenizer_json(engine, model_folder):
    raw = Tokenizer.from_file(str(model_folder / "tokenizer.json"))
    served = engine.get_tokenizer()
    for text in ["Hello world", " Hello  world\n\nfoo", "日本語 text", '{"name": "Ann", "age": 3}', "naïve café"]:
        ids = served.encode(text, add_special_tokens=False)
        assert ids == raw.encode(text, add_special_tokens=False).ids, text
        assert raw.decode(ids) == text
    assert served.encode("Hello world", add_special_tokens=False) == [raw.token_to_id("Hello"),
                                                                       raw.token_to_id("Ġworld")]


def test_mixed_batch_each_request_matches_its_own_constraint(engine, model_folder, tmp_path):
    vocabulary = automaton.Vocabulary.from_pretrained(model_folder)
    index_path = tmp_path / "date.index"
    automaton.compile_index(r"(Mon|Tue|Wed)day, \d{1,2} (May|June)", vocabulary, cache=False).save(index_path)
    constraints = [{"regex": p} for p in PATTERNS]
    constraints += [{"json_schema": PERSON}, {"json_schema": PERSON, "layout": "compact"},
                    {"index": str(index_path)}]
    prompts = PROMPTS + ["A person as JSON:", "Another person as JSON:", "A day in spring:"]
    checks = constraints[:-1] + [{"regex": r"(Mon|Tue|Wed)day, \d{1,2} (May|June)"}]
    assert len(constraints) == len(prompts) == 16
    free = [None, {"unrelated": 1}, None]
    outputs = engine.generate(prompts + FREE_PROMPTS, [_params(c) for c in constraints] +
                              [_params(c, 24) for c in free], use_tqdm=False)
    for constraint, output in zip(checks, outputs[:16]):
        completion = output.outputs[0]
        assert completion.finish_reason == "stop", (constraint, completion.text)
        check_output(constraint, completion.text)
    alone = engine.generate(FREE_PROMPTS, _params(None, 24), use_tqdm=False)
    for mixed, single in zip(outputs[16:], alone):
        assert mixed.outputs[0].token_ids == single.outputs[0].token_ids  # free rows are left alone
    assert any(len(o.outputs[0].token_ids) == 24 for o in outputs[16:])  # they ran free, not to a pattern


def test_requests_join_and_leave_at_different_steps(engine):
    core = engine.llm_engine
    cases = [(PROMPTS[i], {"regex": PATTERNS[i]}, MAX_TOKENS) for i in range(6)]
    cases += [(FREE_PROMPTS[0], None, 5), (PROMPTS[6], {"regex": PATTERNS[6]}, MAX_TOKENS)]
    cases += [("A person as JSON:", {"json_schema": PERSON, "layout": 2}, MAX_TOKENS)]
    finished: dict[str, object] = {}
    pending = list(enumerate(cases))
    step = 0
    while pending or core.has_unfinished_requests():
        if pending and step % 2 == 0:  # one new request every other step
            number, (prompt, constraint, limit) = pending.pop(0)
            core.add_request(str(number), prompt, _params(constraint, limit))
        for output in core.step():
            if output.finished:
                finished[output.request_id] = output
        step += 1
        assert step < 2000
    assert len(finished) == len(cases)
    ends = sorted(len(finished[str(i)].outputs[0].token_ids) for i in range(len(cases)))
    assert len(set(ends)) > 2  # they finished after different numbers of tokens
    for number, (_prompt, constraint, _limit) in enumerate(cases):
        completion = finished[str(number)].outputs[0]
        if constraint is None:
            assert completion.finish_reason == "length"
            continue
        assert completion.finish_reason == "stop", (constraint, completion.text)
        if "json_schema" in constraint:
            import json

            value = json.loads(completion.text)
            assert completion.text == json.dumps(value, indent=2, ensure_ascii=False)
            check_output({"json_schema": PERSON, "layout": "compact"}, json.dumps(value, separators=(",", ":")))
        else:
            check_output(constraint, completion.text)


@pytest.mark.parametrize(
    ("extra_args", "named"),
    [
        ({"regex": r"(a)\1"}, "backreference"),
        ({"regex": "[a-"}, "[a-"),
        ({"json_schema": {"type": "object", "properties": {"a": {"$ref": "#/missing"}}}}, "missing"),
        ({"regex": "a", "json_schema": {}}, "at most one"),
        ({"json_schema": {"type": "string"}, "layout": "wide"}, "layout"),
        ({"index": "/nonexistent/file.index"}, "file.index"),
    ],
)
def test_a_bad_constraint_fails_only_its_own_request(engine, extra_args, named):
    good = engine.enqueue([PROMPTS[0]], _params({"regex": PATTERNS[0]}), use_tqdm=False)
    with pytest.raises(VLLMValidationError) as caught:  # vLLM's admission error, caused by ours
        engine.enqueue([PROMPTS[1]], _params(extra_args), use_tqdm=False)
    assert isinstance(caught.value.__cause__, RequestConstraintError)
    assert named.lower() in str(caught.value).lower()
    done = engine.wait_for_completion(use_tqdm=False)
    assert len(good) == len(done) == 1  # the good request alone ran, and finished
    check_output({"regex": PATTERNS[0]}, done[0].outputs[0].text)


def test_an_index_of_another_vocabulary_ends_its_request_at_once_never_unconstrained(engine, model_folder, tmp_path):
    # Admission reads the file (it is a valid index); only the worker, which knows the served
    # vocabulary, finds it built for another one: that request may only end, the others run.
    other = automaton.Vocabulary.from_pretrained(model_folder, logits_width=49152 + 64)
    path = tmp_path / "other.index"
    automaton.compile_index(r"[a-z]{1,8}", other, cache=False).save(path)
    outputs = engine.generate([PROMPTS[0], PROMPTS[1]], [_params({"index": str(path)}),
                                                         _params({"regex": PATTERNS[1]})], use_tqdm=False)
    assert outputs[0].outputs[0].text == "" and outputs[0].outputs[0].finish_reason == "stop"
    assert len(outputs[0].outputs[0].token_ids) == 1  # one EOS
    check_output({"regex": PATTERNS[1]}, outputs[1].outputs[0].text)
