"""The engines of bench/peers.py, taught to compile a JSON schema with each engine's own translator.

Each class extends its regex adapter from bench/peers.py (same vocabulary objects, same walkers)
with

    compile_schema(schema: dict) -> compiled     what `start(compiled)` takes

Ours: `automaton.compile_index(schema=...)` (layout "spaced", no cache).
outlines-core: `outlines_core.json_schema.build_regex_from_schema` then `outlines_core.Index`.
xgrammar: `GrammarCompiler.compile_json_schema` (its defaults: any whitespace, strict mode).
llguidance: `LLMatcher.grammar_from_json_schema`; compiling = making the matcher.
"""
from __future__ import annotations

import json
import warnings

from bench import peers

__all__ = ["OursSchema", "OutlinesCoreSchema", "XGrammarSchema", "LLGuidanceSchema", "SCHEMA_ENGINES"]


class OursSchema(peers.Ours):
    def compile_schema(self, schema: dict):
        import automaton

        with warnings.catch_warnings():  # the narrowings' warning, once per schema, is not measured
            warnings.simplefilter("ignore", automaton.SchemaNarrowingWarning)
            return automaton.compile_index(schema=schema, vocabulary=self.vocabulary, cache=False)


class OutlinesCoreSchema(peers.OutlinesCore):
    def compile_schema(self, schema: dict):
        from outlines_core.json_schema import build_regex_from_schema

        return self.compile(build_regex_from_schema(json.dumps(schema)))


class XGrammarSchema(peers.XGrammar):
    def compile_schema(self, schema: dict):
        return self.compiler.compile_json_schema(json.dumps(schema))


class LLGuidanceSchema(peers.LLGuidance):
    def compile_schema(self, schema: dict):
        return self._matcher(self._module.LLMatcher.grammar_from_json_schema(schema), "schema")


SCHEMA_ENGINES = (OursSchema, OutlinesCoreSchema, XGrammarSchema, LLGuidanceSchema)
