"""The vocabulary and the token indexes of a model, looked up once and kept.

    vocabulary_for(model, tokenizer)                the `automaton.Vocabulary` at the model's logits width
    index_for(model, tokenizer, target)             a `TokenIndex` for this model: from a pattern, a
                                                    `SchemaTarget`, or an index (checked, as is)
    SchemaTarget(schema, layout)                    a JSON schema compiled through automata
                                                    (`automaton.compile_index(schema=...)`), not regex text
    row_targets(count, ...)                         one target per prompt for `generate(patterns=/schemas=)`
    logits_width_of(model), eos_token_ids_of(model, tokenizer)

Vocabularies are kept per tokenizer (weakly), indexes per (pattern, vocabulary fingerprint) for
the last 16 patterns, and in the file cache of `automaton.compile_index`.
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from decode.processor import check_index_fits

__all__ = ["SchemaTarget", "vocabulary_for", "index_for", "row_targets", "logits_width_of", "eos_token_ids_of"]


@dataclass(frozen=True, eq=False)
class SchemaTarget:
    """A JSON schema (dict, JSON text or pydantic model class) and the layout of its JSON; its index
    is built by `automaton.compile_index(schema=..., layout=...)`, sub-schema by sub-schema as
    automata, so a large schema never becomes one regex text."""

    schema: Any
    layout: str | int = "spaced"

    def cache_text(self) -> str:
        """The text that names this compilation (`automaton.json_schema.schema_cache_text`)."""
        from automaton.json_schema import schema_cache_text

        return schema_cache_text(self.schema, self.layout)


def row_targets(count: int, patterns=None, schemas=None, *, layout: str | int = "spaced") -> list:
    """One target per prompt: `patterns[i]` (a pattern or a `TokenIndex`) or `schemas[i]` (a
    `SchemaTarget` with `layout`); each position has exactly one of them (the other list, when
    both are given, holds None there). Raises ValueError naming the position otherwise."""
    columns = [list(c) if c is not None else [None] * count for c in (patterns, schemas)]
    for name, column, given in zip(("patterns", "schemas"), columns, (patterns, schemas)):
        if given is not None and len(column) != count:
            raise ValueError(f"{name} has {len(column)} entries for {count} prompts: give one per prompt")
    targets = []
    for position, (pattern, schema) in enumerate(zip(*columns)):
        if (pattern is None) == (schema is None):
            raise ValueError(f"prompt {position} needs exactly one of patterns[{position}] and schemas[{position}]")
        targets.append(SchemaTarget(schema, layout) if schema is not None else pattern)
    return targets




def logits_width_of(model) -> int:
    """Columns of the model's logits: its output embedding size, else `config.vocab_size`."""
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if output is not None and hasattr(output, "out_features"):
        return int(output.out_features)
    if output is not None and hasattr(output, "weight"):
        return int(output.weight.shape[0])
    return int(model.config.vocab_size)


def eos_token_ids_of(model, tokenizer) -> list[int]:
    """EOS ids of the tokenizer and of `model.generation_config` (an int or a list there)."""
    ids: set[int] = set()
    if isinstance(tokenizer.eos_token_id, int):
        ids.add(tokenizer.eos_token_id)
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif configured is not None:
        ids.update(int(i) for i in configured)
    return sorted(ids)


_VOCABULARIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_INDEXES: OrderedDict[tuple[str, str], object] = OrderedDict()
_INDEXES_KEPT = 16
_LOCK = threading.Lock()


def vocabulary_for(model, tokenizer, *, eos_token_ids=None):
    """The `automaton.Vocabulary` of `tokenizer` at the model's logits width (built once per tokenizer).

    eos_token_ids: instead of the EOS ids of the tokenizer and the model's generation config.
    """
    from automaton import Vocabulary

    eos = eos_token_ids_of(model, tokenizer) if eos_token_ids is None else sorted(int(i) for i in eos_token_ids)
    key = (tuple(eos), logits_width_of(model))
    with _LOCK:
        try:
            per_tokenizer = _VOCABULARIES.setdefault(tokenizer, {})
        except TypeError:  # not weak-referenceable: no memo
            per_tokenizer = {}
        vocabulary = per_tokenizer.get(key)
        if vocabulary is None:
            vocabulary = Vocabulary.from_tokenizer(tokenizer, eos_token_ids=list(key[0]), logits_width=key[1])
            per_tokenizer[key] = vocabulary
    return vocabulary


def index_for(model, tokenizer, pattern_or_index, *, vocabulary=None):
    """`pattern_or_index` (a pattern, a `SchemaTarget` or a `TokenIndex`) as a `TokenIndex` for this
    model and tokenizer (an index is checked and returned as is)."""
    from automaton import TokenIndex, compile_index

    if isinstance(pattern_or_index, TokenIndex):
        width = logits_width_of(model)
        if pattern_or_index.logits_width > width:
            raise ValueError(
                f"the index was built for {pattern_or_index.logits_width} logits but the model has {width}: "
                f"build it with Vocabulary.from_tokenizer(tokenizer, logits_width={width})"
            )
        check_index_fits(pattern_or_index, vocabulary or _model_vocabulary(model, tokenizer, pattern_or_index))
        return pattern_or_index
    schema = isinstance(pattern_or_index, SchemaTarget)
    if not schema and not isinstance(pattern_or_index, str):
        raise TypeError(
            f"pattern_or_index must be a pattern string, a SchemaTarget or an automaton.TokenIndex, "
            f"got {type(pattern_or_index).__name__}"
        )
    if vocabulary is None:
        vocabulary = vocabulary_for(model, tokenizer)
    key = (pattern_or_index.cache_text() if schema else pattern_or_index, vocabulary.fingerprint)
    with _LOCK:
        index = _INDEXES.get(key)
        if index is not None:
            _INDEXES.move_to_end(key)
            return index
    if schema:
        index = compile_index(schema=pattern_or_index.schema, layout=pattern_or_index.layout, vocabulary=vocabulary)
    else:
        index = compile_index(pattern_or_index, vocabulary)
    with _LOCK:
        _INDEXES[key] = index
        while len(_INDEXES) > _INDEXES_KEPT:
            _INDEXES.popitem(last=False)
    return index


def _model_vocabulary(model, tokenizer, index):
    """`vocabulary_for(model, tokenizer)`; where neither names an EOS, with the index's EOS ids."""
    from automaton import VocabularyError

    if not eos_token_ids_of(model, tokenizer):
        return vocabulary_for(model, tokenizer, eos_token_ids=np.asarray(index.eos_token_ids).tolist())
    try:
        return vocabulary_for(model, tokenizer)
    except VocabularyError:
        return vocabulary_for(model, tokenizer, eos_token_ids=np.asarray(index.eos_token_ids).tolist())
