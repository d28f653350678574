"""Other documents a schema's `$ref`s name: a registry the caller passes, and the metaschemas.

Nothing is fetched. `resources` maps absolute URIs to schema documents (dicts, booleans or JSON
texts): `compile_dfa(schema=..., resources={"https://example.com/item.json": {...}})`. The
JSON-schema metaschemas (drafts 4 to 2020-12, with the vocabulary metaschemas of 2019-09 and
2020-12) are known too when the `jsonschema-specifications` package is installed (it comes with
`jsonschema`; it is no dependency of this one, and is read only when a URI is not passed); a
document passed in `resources` under the same URI wins. The metaschemas are recursive: with the
default `max_recursion=3` their automata grow past the usual state limits, `max_recursion=1` fits.

`embed_resources(root, resources)` gives the document with every other document its `$ref`s
reach (directly or through the documents reached) placed under the root's `definitions`, keyed
by its URI, and the paths of those places with their URIs, for `refs.DocumentIndex`: each
embedded document keeps its retrieval URI as base URI (its `$id`, if any, read against it), its
anchors and its pointers, so that `$ref`s into it and within it mean what they mean in a
registry. A URI is found as a key of `resources` or, failing that, as the `$id` of a resource
embedded in one of them (the whole document holding it is embedded). A document that declares
another draft than the referring one (`$schema`) is refused: one document is read with one draft.

    >>> root, places = embed_resources({"$ref": "https://example.com/n.json"},
    ...                                {"https://example.com/n.json": {"type": "integer"}})
    >>> root["definitions"]["https://example.com/n.json"], places
    ({'type': 'integer'}, {('definitions', 'https://example.com/n.json'): 'https://example.com/n.json'})
"""
from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urldefrag, urljoin

from automaton.errors import InvalidSchemaError, UnsupportedSchemaError
from automaton.json_schema.drafts import DRAFTS, UNDECLARED, draft_of
from automaton.json_schema.loading import load_schema
from automaton.json_schema.refs import DocumentIndex, RefError

__all__ = ["check_resources", "embed_resources", "resources_cache_text", "known_document"]

_MAX_DOCUMENTS = 256
_PLACE = "definitions"  # a map of sub-schemas in every draft


def check_resources(resources: Any) -> dict[str, Any]:
    """`resources` as {absolute URI without fragment: document}; InvalidSchemaError when malformed."""
    if resources is None:
        return {}
    if not isinstance(resources, Mapping):
        raise InvalidSchemaError("resources", "", f"option resources must map URIs to schemas, not "
                                                  f"{type(resources).__name__}")
    out: dict[str, Any] = {}
    for uri, document in resources.items():
        if not isinstance(uri, str) or ":" not in uri:
            raise InvalidSchemaError("resources", "", f"resource URIs must be absolute URIs, not {uri!r}")
        out[urldefrag(uri)[0]] = load_schema(document)
    return out


def resources_cache_text(resources: Any) -> str:
    """The registry as text for a cache key ("" when empty), independent of the mapping's order."""
    checked = check_resources(resources)
    if not checked:
        return ""
    return json.dumps(sorted(checked.items()), ensure_ascii=False)


@lru_cache(maxsize=1)
def _metaschemas() -> dict[str, Any]:
    """{URI: document} of the metaschemas `jsonschema-specifications` ships (drafts 4 to 2020-12,
    with the vocabulary metaschemas of 2019-09 and 2020-12); empty when it is not installed."""
    if importlib.util.find_spec("jsonschema_specifications") is None:
        return {}
    from importlib.resources import files

    found: dict[str, Any] = {}
    top = files("jsonschema_specifications") / "schemas"
    for draft in ("draft4", "draft6", "draft7", "draft201909", "draft202012"):
        folder = top / draft
        paths = [folder / "metaschema.json"]
        if (folder / "vocabularies").is_dir():
            paths += list((folder / "vocabularies").iterdir())
        for path in paths:
            document = json.loads(path.read_text(encoding="utf-8"))
            ident = document.get("$id", document.get("id")) if isinstance(document, dict) else None
            if isinstance(ident, str):
                found[urldefrag(ident)[0]] = document
    return found


def known_document(uri: str, resources: dict[str, Any]) -> Any:
    """The document registered under `uri`, else the metaschema of that URI, else None."""
    if uri in resources:
        return resources[uri]
    return _metaschemas().get(uri)


def _holder(uri: str, resources: dict[str, Any]) -> str | None:
    """The registered document that embeds a resource with this `$id` (its key), if one does."""
    for key, document in resources.items():
        if uri in DocumentIndex(document, base=key).resources:
            return key
    return None


def _missing(index: DocumentIndex) -> list[str]:
    """The URIs (without fragment) of the `$ref`s of the document that name no resource of it."""
    out = []
    for _, base, ref in index.refs + [(p, b, r) for p, b, r, _ in index.dynamic]:
        try:
            index.resolve(ref, base)
        except RefError:
            uri = base if ref.startswith("#") else urldefrag(urljoin(base, ref))[0]
            if uri and uri not in index.resources and uri not in out:
                out.append(uri)
    return out


def _check_draft(root: Any, document: Any, uri: str) -> None:
    outer = draft_of(root) if isinstance(root, dict) else UNDECLARED
    inner = draft_of(document) if isinstance(document, dict) else UNDECLARED
    same = {outer, inner} <= {"2020-12", UNDECLARED} or inner == UNDECLARED or inner == outer
    if not same:
        shown = {d: f"draft {d}" for d in DRAFTS}
        raise UnsupportedSchemaError("$ref", "", f"{uri} is a {shown.get(inner, inner)} document, the schema "
                                                 f"referring to it {shown.get(outer, outer)}: drafts do not mix")


def embed_resources(root: Any, resources: Any = None) -> tuple[Any, dict[tuple[str, ...], str]]:
    """(the document with the other documents it reaches under `definitions`, their paths -> URIs)."""
    registry = check_resources(resources)
    places: dict[tuple[str, ...], str] = {}
    if not isinstance(root, dict):
        return root, places
    index = DocumentIndex(root)
    tried: set[str] = set()
    while True:
        wanted = [uri for uri in _missing(index) if uri not in tried]
        if not wanted:
            return root, places
        for uri in wanted:
            tried.add(uri)
            document = known_document(uri, registry)
            key = uri
            if document is None:
                key = _holder(uri, registry)
                if key is None and uri.split("://", 1)[-1].startswith("json-schema.org/") and not _metaschemas():
                    raise UnsupportedSchemaError("$ref", "", f"{uri}: the JSON-schema metaschemas come with the "
                                                             "jsonschema-specifications package (pip install "
                                                             "jsonschema-specifications), or pass it in `resources`")
                if key is None or key in places.values():
                    continue
                document = registry[key]
            _check_draft(root, document, key)
            if len(places) >= _MAX_DOCUMENTS:
                raise UnsupportedSchemaError("$ref", "", f"more than {_MAX_DOCUMENTS} other documents referred to")
            if places == {}:
                shelf = root.get(_PLACE, {})
                if not isinstance(shelf, dict):
                    raise UnsupportedSchemaError("$ref", "", f"other documents go under {_PLACE}: not a map here")
                root = {**root, _PLACE: dict(shelf)}
            name = key
            while name in root[_PLACE]:
                name += "'"
            root[_PLACE][name] = document
            places[(_PLACE, name)] = key
        index = DocumentIndex(root, places)
