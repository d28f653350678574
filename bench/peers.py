"""One small adapter per constrained-decoding engine, so the benchmark drives them all alike.

Engines: ours (`automaton`), outlines-core 0.2.14, xgrammar 0.2.8, llguidance 1.9.1. Each adapter
is made from a Hugging Face tokenizer and our `automaton.Vocabulary` of it (the peers' own
vocabulary objects are built from the tokenizer object or from our token bytes: never from a
model hub), and offers:

    compile(pattern) -> compiled        what the engine builds for a regex (index, grammar, matcher)
    start(compiled) -> Walker           a walker at the start, its mask already filled

and a Walker offers:

    words                               int32[ceil(V / 32)], the current packed mask (bit j % 32 of
                                        word j // 32 = token j allowed), V = vocabulary.logits_width
    timed_step(token_id) -> int         advance by one token and fill the next mask; nanoseconds

so that one step is what a decoding loop pays per token at batch size 1. Peer imports happen
in the constructors: `import bench.peers` needs none of the peer libraries.
"""
from __future__ import annotations

from time import perf_counter_ns

import numpy as np

__all__ = ["Ours", "OutlinesCore", "outlines_vocabulary_arguments", "XGrammar", "LLGuidance", "PEERS", "StepRejected"]


class StepRejected(RuntimeError):
    """An engine refused a token its own mask allowed."""


def _words(logits_width: int) -> int:
    return (logits_width + 31) // 32


class Ours:
    name = "ours"

    def __init__(self, tokenizer, vocabulary):
        self.vocabulary = vocabulary

    def compile(self, pattern: str):
        import automaton

        return automaton.compile_index(pattern, self.vocabulary, cache=False)

    def start(self, index) -> _OursWalker:
        return _OursWalker(index)


class _OursWalker:
    def __init__(self, index):
        self.index = index
        self.state = index.initial_state
        self.words = index.mask(self.state)

    def timed_step(self, token_id: int) -> int:
        index = self.index
        began = perf_counter_ns()
        state = index.next_state(self.state, token_id)
        row = index.mask(state)
        elapsed = perf_counter_ns() - began
        if state < 0:
            raise StepRejected(f"ours refused token {token_id}")
        self.state, self.words = state, row
        return elapsed


class OutlinesCore:
    """outlines-core: `Index` built over a `Vocabulary` of our exact token bytes (bytes keys).

    outlines-core takes one EOS id; the smallest of ours is used.
    """

    name = "outlines-core"

    def __init__(self, tokenizer, vocabulary):
        import outlines_core

        self._module = outlines_core
        self.vocabulary = outlines_core.Vocabulary(*outlines_vocabulary_arguments(vocabulary))
        self.n_words = _words(vocabulary.logits_width)

    def compile(self, pattern: str):
        return self._module.Index(pattern, self.vocabulary)

    def start(self, index) -> _OutlinesWalker:
        return _OutlinesWalker(self._module.Guide(index), self.n_words)


def outlines_vocabulary_arguments(vocabulary) -> tuple[int, dict[bytes, list[int]]]:
    """(EOS id, token bytes -> ids): what `outlines_core.Vocabulary` takes for `vocabulary`."""
    token_map: dict[bytes, list[int]] = {}
    for token_id in vocabulary.byte_token_ids().tolist():
        token_map.setdefault(vocabulary.token_bytes(token_id), []).append(token_id)
    return min(vocabulary.eos_token_ids), token_map


class _OutlinesWalker:
    def __init__(self, guide, n_words: int):
        self.guide = guide
        self.words = np.zeros(n_words, dtype=np.int32)
        self._pointer = self.words.ctypes.data
        guide.write_mask_into(self._pointer, n_words, 4)

    def timed_step(self, token_id: int) -> int:
        guide, words = self.guide, self.words
        began = perf_counter_ns()
        try:
            guide.advance(token_id, return_tokens=False)
        except ValueError as error:
            raise StepRejected(f"outlines-core refused token {token_id}: {error}") from None
        guide.write_mask_into(self._pointer, words.shape[0], 4)
        return perf_counter_ns() - began


class XGrammar:
    """xgrammar: `TokenizerInfo.from_huggingface`, `GrammarCompiler.compile_regex` (its cache off)."""

    name = "xgrammar"

    def __init__(self, tokenizer, vocabulary):
        import xgrammar

        self._module = xgrammar
        self.info = xgrammar.TokenizerInfo.from_huggingface(
            tokenizer, vocab_size=vocabulary.logits_width, stop_token_ids=sorted(vocabulary.eos_token_ids)
        )
        self.compiler = xgrammar.GrammarCompiler(self.info, cache_enabled=False)
        self.logits_width = vocabulary.logits_width

    def compile(self, pattern: str):
        return self.compiler.compile_regex(pattern)

    def start(self, compiled) -> _XGrammarWalker:
        return _XGrammarWalker(self._module, compiled, self.logits_width)


class _XGrammarWalker:
    def __init__(self, xgrammar, compiled, logits_width: int):
        self.matcher = xgrammar.GrammarMatcher(compiled)
        self.bitmask = xgrammar.allocate_token_bitmask(1, logits_width)
        self.words = self.bitmask.numpy()[0]
        self.matcher.fill_next_token_bitmask(self.bitmask)

    def timed_step(self, token_id: int) -> int:
        matcher = self.matcher
        began = perf_counter_ns()
        accepted = matcher.accept_token(token_id)
        matcher.fill_next_token_bitmask(self.bitmask)
        elapsed = perf_counter_ns() - began
        if not accepted:
            raise StepRejected(f"xgrammar refused token {token_id}")
        return elapsed


class LLGuidance:
    """llguidance: `llguidance.hf.from_tokenizer`; a regex grammar; compiling = making the matcher.

    llguidance builds its lexer lazily, so most of its work happens in the first steps.
    """

    name = "llguidance"

    def __init__(self, tokenizer, vocabulary):
        import llguidance
        import llguidance.hf

        self._module = llguidance
        self.tokenizer = llguidance.hf.from_tokenizer(
            tokenizer, n_vocab=vocabulary.logits_width, eos_token=sorted(vocabulary.eos_token_ids)
        )
        self.n_words = _words(vocabulary.logits_width)

    def compile(self, pattern: str):
        return self._matcher(self._module.LLMatcher.grammar_from_regex(pattern), "pattern")

    def _matcher(self, grammar, what: str):
        """An LLMatcher for `grammar`; ValueError naming `what` when llguidance refuses it."""
        matcher = self._module.LLMatcher(self.tokenizer, grammar, log_level=0)
        if matcher.is_error():
            raise ValueError(f"llguidance refused the {what}: {matcher.get_error()}")
        return matcher

    def start(self, matcher) -> _LLGuidanceWalker:
        return _LLGuidanceWalker(matcher.deep_copy(), self.n_words)


class _LLGuidanceWalker:
    def __init__(self, matcher, n_words: int):
        self.matcher = matcher
        self.words = np.zeros(n_words, dtype=np.int32)
        self._pointer = self.words.ctypes.data
        self._nbytes = self.words.nbytes
        matcher.unsafe_compute_mask_ptr(self._pointer, self._nbytes)

    def timed_step(self, token_id: int) -> int:
        matcher = self.matcher
        began = perf_counter_ns()
        accepted = matcher.consume_token(token_id)
        matcher.unsafe_compute_mask_ptr(self._pointer, self._nbytes)
        elapsed = perf_counter_ns() - began
        if not accepted or matcher.is_error():
            raise StepRejected(f"llguidance refused token {token_id}: {matcher.get_error()}")
        return elapsed


PEERS = (OutlinesCore, XGrammar, LLGuidance)
