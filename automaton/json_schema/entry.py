"""The entry points: a schema and its options in, a `ByteDFA` or a regex text out.

    json_schema_to_dfa(schema, layout="spaced", strict=True, max_recursion=3, max_states=..., time_budget=None,
                       resources=None)
    json_schema_to_regex(schema, layout="spaced", whitespace=None, indent=None, max_recursion=3, strict=True,
                         resources=None)
    schema_cache_text(schema, layout, strict, max_recursion, resources)   the text that names the
                                                               compilation (the index cache key of a schema)

`resources` maps absolute URIs to the other documents the schema's `$ref`s name (`resources`:
nothing is fetched); references, dynamic ones included, are bound before translating (`dynamic_refs`).

Both translate with the same `Translator`; the DFA path composes sub-schemas' automata
(`lang`), the regex path writes one text. One warning per compilation lists every keyword
enforced on fewer values than it allows (a `SchemaNarrowingWarning`: extra keys, formats
asserted, recursion cut, ...) and, with `strict=False`, every keyword not enforced (then a plain
`UserWarning`). Narrowings of spelling only (key order, `1.0` for `1`) are not warned about: every
layout writes one spelling per value, as the README's JSON-schemas section says.
"""
from __future__ import annotations

import dataclasses
import json
import warnings
from typing import Any

from automaton.dfa.byte_dfa import ByteDFA
from automaton.dfa.limits import DEFAULT_MAX_STATES, Deadline
from automaton.errors import EmptyLanguageError, InvalidSchemaError, SchemaNarrowingWarning
from automaton.json_schema.dynamic_refs import bind_refs
from automaton.json_schema.lang import as_dfa, composing
from automaton.json_schema.layout import Layout
from automaton.json_schema.loading import load_schema
from automaton.json_schema.resources import embed_resources, resources_cache_text
from automaton.json_schema.translate import Translator

__all__ = ["json_schema_to_dfa", "json_schema_to_regex", "schema_cache_text"]


def _check_count(name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise InvalidSchemaError(name, "", f"option {name} must be None or a non-negative integer, not {value!r}")


def _listed(entries, shown: int = 4) -> str:
    """`keyword at /a, /b (reason); ...`: entries with the same keyword and reason grouped."""
    groups: dict[tuple[str, str], list[str]] = {}
    for keyword, pointer, reason in entries:
        groups.setdefault((keyword, reason), []).append(pointer)
    parts = []
    for (keyword, reason), pointers in groups.items():
        where = ", ".join(pointers[:shown]) + (f" and {len(pointers) - shown} more" if len(pointers) > shown else "")
        parts.append(f"{keyword} at {where}" + (f" ({reason})" if reason else ""))
    return "; ".join(parts)


def _report(translator: Translator, max_recursion: int) -> None:
    """One warning: the keywords dropped (strict=False) and those enforced on fewer instances.

    A `SchemaNarrowingWarning` when only narrowings are listed (every accepted text is still an
    instance), a plain `UserWarning` when a keyword is not enforced."""
    parts = []
    if translator.dropped:
        parts.append(f"JSON-schema keywords not enforced: {_listed(translator.dropped)}")
    if translator.narrowings:
        parts.append(f"JSON-schema keywords narrowed (fewer instances allowed): {_listed(translator.narrowings)}")
    if parts:
        category = UserWarning if translator.dropped else SchemaNarrowingWarning
        warnings.warn(". ".join(parts), category, stacklevel=3)


def _linked(schema: Any, resources: Any) -> Any:
    """The schema with the documents it refers to embedded and every reference a root pointer."""
    root, documents = embed_resources(load_schema(schema), resources)
    return bind_refs(root, documents)


def _empty(translator: Translator, max_recursion: int) -> EmptyLanguageError:
    return EmptyLanguageError(
        "no JSON value satisfies this schema"
        + (f" within max_recursion={max_recursion}" if translator._ref_depth else "")
    )


def json_schema_to_regex(
    schema: Any,
    *,
    layout: str | int = "spaced",
    whitespace: int | None = None,
    indent: int | None = None,
    max_recursion: int = 3,
    strict: bool = True,
    resources: Any = None,
) -> str:
    """The regex (Python `re` syntax, for `re.fullmatch`) of the JSON texts of the schema's instances.

    layout: "spaced" (json.dumps's `", "` and `": "`), "compact", or an int (json.dumps's indent=N);
    `indent=N` is the same as layout=N; `whitespace=N` (compact only) allows up to N whitespace
    characters at each structural point. resources: {absolute URI: schema} of the other documents
    the schema's `$ref`s name (nothing is fetched)."""
    _check_count("whitespace", whitespace)
    _check_count("indent", indent)
    _check_count("max_recursion", max_recursion)
    if whitespace and indent is not None:
        raise InvalidSchemaError("indent", "", "options whitespace and indent cannot be combined")
    if indent is not None:
        layout = indent
    elif whitespace and layout == "spaced":
        layout = "compact"
    root = _linked(schema, resources)  # each reference as read against its base URI
    translator = Translator(root, Layout.of(layout, whitespace), max_recursion, strict)
    regex = translator.translate(translator.document, "", 0)
    _report(translator, max_recursion)
    if regex is None:
        raise _empty(translator, max_recursion)
    return regex


def json_schema_to_dfa(
    schema: Any,
    *,
    layout: str | int = "spaced",
    strict: bool = True,
    max_recursion: int = 3,
    max_states: int = DEFAULT_MAX_STATES,
    time_budget: float | Deadline | None = None,
    resources: Any = None,
) -> ByteDFA:
    """The minimal `ByteDFA` of the JSON texts (in `layout`) of the schema's instances.

    Raises UnsupportedSchemaError / InvalidSchemaError (naming the keyword and its JSON pointer),
    EmptyLanguageError, TooManyStatesError (an automaton past `max_states`) or CompileTimeoutError.
    A schema small enough to stay one regex text carries that text as the DFA's `pattern`.
    resources: {absolute URI: schema} of the other documents the schema's `$ref`s name; a URI
    neither there nor a known metaschema raises UnsupportedSchemaError naming it.
    """
    _check_count("max_recursion", max_recursion)
    root = _linked(schema, resources)
    deadline = Deadline.of(time_budget)
    translator = Translator(root, Layout.of(layout), max_recursion, strict)
    with composing(max_states, deadline):
        lang = translator.translate(translator.document, "", 0)
        _report(translator, max_recursion)
        if lang is None:
            raise _empty(translator, max_recursion)
        text = lang if isinstance(lang, str) else None
        lang = as_dfa(lang)
        if lang is not None and text is not None and lang.pattern is None:  # one text: the DFA carries it
            lang = dataclasses.replace(lang, pattern=text)
        if lang is None:
            raise _empty(translator, max_recursion)
    if lang.num_states > max_states:
        from automaton.errors import TooManyStatesError

        raise TooManyStatesError(f"the schema's DFA has {lang.num_states} states, past max_states={max_states}",
                                 max_states)
    return lang


# The revision of the schema compiler's output: raised whenever a schema may compile to another
# language than before, so that cached indexes of the old language are not read as the new one.
COMPILER_REVISION = 4


def schema_cache_text(schema: Any, layout: str | int = "spaced", strict: bool = True, max_recursion: int = 3,
                      resources: Any = None) -> str:
    """A text naming the compilation of `schema` with these options (equal texts, equal automata)."""
    root = load_schema(schema)
    options = json.dumps({"layout": Layout.of(layout).name, "strict": bool(strict), "max_recursion": max_recursion,
                          "compiler": COMPILER_REVISION})
    # Key order is kept: properties are written in the schema's order, so it is part of the language.
    text = "json-schema\n" + options + "\n" + json.dumps(root, ensure_ascii=False)
    registry = resources_cache_text(resources)
    return text + ("\nresources\n" + registry if registry else "")
