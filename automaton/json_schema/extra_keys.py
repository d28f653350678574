"""Extra keys of an object by regions of key automata: several `patternProperties`, a pattern
that also matches a named property, `propertyNames` beside named properties (automata only).

A key that no named property takes must satisfy, for its value, the schema of every pattern
it matches, or `additionalProperties` when it matches none; `propertyNames` holds for it. So
the extra keys split into regions, one per set S of patterns: the keys that every pattern of
S matches and no other one does (intersection and difference of the patterns' key automata),
never a named property (or a banned trigger), within `propertyNames`; region S takes values
of the `allOf` of S's schemas, the empty S those of `additionalProperties`.

Exact only where each pattern's key automaton holds every key the pattern finds: a pattern's
body (`patterns.pattern_body`) reads `\\d \\w \\s` as their ASCII members, so a key of other
digits could fall in a region that misses that pattern's schema. Patterns with those escapes
(`exact_patterns`) are left to the narrowing of `objects._extras`. Keys are written with raw
characters only, as every extra key is.
"""
from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING, Any

from automaton.json_schema.lang import Lang, difference, intersection
from automaton.json_schema.refs import escape_pointer_token

if TYPE_CHECKING:  # pragma: no cover
    from automaton.json_schema.translate import Translator

__all__ = ["MAX_PATTERNS", "exact_patterns", "key_regions"]

MAX_PATTERNS = 4  # 2**n - 1 regions
_ASCII_ONLY = re.compile(r"\\[dwsDWSbB]")


def exact_patterns(patterns: dict[str, Any]) -> bool:
    """Whether the key automata of `patterns` hold every key each one finds (see the module)."""
    return len(patterns) <= MAX_PATTERNS and not any(_ASCII_ONLY.search(p) for p in patterns)


def key_regions(translator: Translator, allowed: Lang, patterns: dict[str, Any], additional: Any,
                pointer: str, depth: int) -> list[tuple[Lang, Lang]] | None:
    """[(key language, value language)] of the extra keys.

    allowed: the language of the keys extras may use (raw-character JSON strings, no named
    property, `propertyNames` intersected); patterns: `patternProperties` (`exact_patterns`);
    additional: the schema of keys that match no pattern (None or False: no such key).
    None when some pattern cannot be read (the translator has been told)."""
    keys = []
    for pattern in patterns:
        body = translator.pattern_key(pattern, f"{pointer}/patternProperties")
        if body is None:
            return None
        keys.append(f'"{body}"')
    schemas = list(patterns.values())
    names = list(patterns)
    pairs: list[tuple[Lang, Lang]] = []
    for size in range(1, len(keys) + 1):
        for chosen in itertools.combinations(range(len(keys)), size):
            others = [keys[j] for j in range(len(keys)) if j not in chosen]
            region = difference(intersection(allowed, *(keys[i] for i in chosen)), *others)
            if region is None:
                continue
            first = f"{pointer}/patternProperties/{escape_pointer_token(names[chosen[0]])}"
            value_schema = schemas[chosen[0]] if size == 1 else {"allOf": [schemas[i] for i in chosen]}
            value = translator.translate(value_schema, first, depth + 1)
            if value is not None:
                pairs.append((region, value))
    if additional is not None and additional is not False:
        region = difference(allowed, *keys)
        value = translator.translate(additional, f"{pointer}/additionalProperties", depth + 1)
        if region is not None and value is not None:
            pairs.append((region, value))
    return pairs
