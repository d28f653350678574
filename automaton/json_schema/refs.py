"""`$ref` resolution inside one schema document, with JSON Schema's base URIs (RFC 3986).

Every `$id` (draft 4: `id`) changes the base URI of its sub-schema, joined to the enclosing base
(`urllib.parse.urljoin`); such a sub-schema is an embedded resource known by that URI, the root
one by its own `$id` (or no URI). A `$ref` is joined to its base URI (a `#...` reference keeps the
base); the URI without its fragment must name an embedded resource of this document, and the
fragment is taken inside that resource: a JSON pointer relative to it (`~0`, `~1` and percent
escapes), a plain name declared with `$anchor` (or `$dynamicAnchor`) within it (not inside a
nested resource; draft 4-7: `$id: "#name"`), or nothing (the resource itself). Any other URI
raises `RefError` naming it: nothing is fetched. Other documents (`resources`) come in embedded
at known places, each with the URI it was retrieved by as its base (`DocumentIndex(documents=)`),
so that a reference into one is a reference inside this document.

Identifiers count only where the draft puts sub-schemas (`properties`, `items`, `$defs`, ...;
not inside `enum`, `const` or unknown keywords); up to draft 7 an `$id` beside a `$ref` is
ignored. A document without `$schema` is read as 2020-12, also taking `$id: "#name"` and
`id: "#name"` as anchors and the root's `id` as its URI. A URI or an anchor declared twice
(at different places) is refused where a `$ref` names it.

`rebase_refs(root)` gives the document with every `$ref` it resolves rewritten as the JSON
pointer of its target from the root (`#/$defs/a`; the others joined to their base, so that
they fail the same way), so that `resolve_ref(document, ref)` needs no base URI: the translator
reads refs wherever it meets them, also in merged schemas. `DocumentIndex` also lists what
`dynamic_refs` needs to bind `$dynamicRef` / `$recursiveRef` (resources, dynamic anchors).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urldefrag, urljoin

from automaton.json_schema.drafts import UNDECLARED, draft_of

__all__ = ["RefError", "DocumentIndex", "resolve_ref", "rebase_refs", "escape_pointer_token", "pointer_tokens",
           "RefGraph"]

_NOT_SCHEMAS = ("enum", "const", "default", "examples", "example")
# Where each draft puts sub-schemas: one schema (or, for `items`, a list of them), a list, a map.
_ONE = frozenset({"additionalProperties", "contains", "contentSchema", "else", "if", "items", "not",
                  "propertyNames", "then", "unevaluatedItems", "unevaluatedProperties", "additionalItems"})
_LIST = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_MAP = frozenset({"$defs", "definitions", "dependentSchemas", "patternProperties", "properties", "dependencies"})
_UP_TO_7 = frozenset({"contentSchema", "unevaluatedItems", "unevaluatedProperties", "prefixItems", "$defs",
                      "dependentSchemas"})
_NOT_IN = {
    UNDECLARED: frozenset(),
    "2020-12": frozenset({"additionalItems", "dependencies"}),
    "2019-09": frozenset({"prefixItems", "dependencies"}),
    "7": _UP_TO_7,
    "6": _UP_TO_7 | {"if", "then", "else"},
    "4": _UP_TO_7 | {"if", "then", "else", "contains", "propertyNames"},
}
_LEGACY = ("4", "6", "7")
_TWICE = object()  # an index entry declared at two places


class RefError(Exception):
    """The reference cannot be resolved locally (the message says why)."""


def escape_pointer_token(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer_tokens(pointer: str) -> tuple[str, ...]:
    """The unescaped tokens of a JSON pointer (`/a~1b/0` -> `("a/b", "0")`)."""
    return tuple(raw.replace("~1", "/").replace("~0", "~") for raw in pointer.split("/")[1:])


def _as_fragment(pointer: str) -> str:
    """`#` and the pointer, `%` escaped (fragments are percent-decoded when read)."""
    return "#" + pointer.replace("%", "%25")


def _join(base: str, ref: str) -> str:
    """`ref` against `base` (as `referencing` does: a fragment-only ref keeps the base as it is)."""
    return base + ref if ref.startswith("#") else urljoin(base, ref)


class DocumentIndex:
    """The document's resources (URI -> pointer), anchors ((URI, name) -> pointer) and every
    `$ref` string with the base URI it is read against.

    documents: paths (tuples of tokens) of other documents embedded in this one (`resources`),
    each with the URI it was retrieved by: its base URI, whatever encloses it. base: the URI the
    document itself was retrieved by. Also kept, for `dynamic_refs`: the path and URI of every
    resource (`boundaries`), each `$dynamicAnchor` ((URI, name) -> pointer), the resources with
    `$recursiveAnchor: true` and every `$dynamicRef` / `$recursiveRef` the draft knows."""

    def __init__(self, root: Any, documents: dict[tuple[str, ...], str] | None = None, base: str = ""):
        self.root = root
        self.draft = draft_of(root) if isinstance(root, dict) else UNDECLARED
        self.excluded = _NOT_IN[self.draft]
        self.documents = documents or {}
        self.resources: dict[str, Any] = {}
        self.anchors: dict[tuple[str, str], Any] = {}
        self.dynamic_anchors: dict[tuple[str, str], Any] = {}
        self.boundaries: dict[tuple[str, ...], str] = {}
        self.recursive_anchors: set[tuple[str, ...]] = set()
        self.refs: list[tuple[tuple[str, ...], str, str]] = []  # (path of tokens, base, ref)
        self.dynamic: list[tuple[tuple[str, ...], str, str, str]] = []  # (path, base, ref, keyword)
        self._dynamic_keywords = (("$dynamicRef",) if self.draft in ("2020-12", UNDECLARED) else ()) + (
            ("$recursiveRef",) if self.draft in ("2019-09", UNDECLARED) else ())
        if isinstance(root, dict) and self.draft == UNDECLARED and "$id" not in root:
            ident = root.get("id")
            if isinstance(ident, str) and not ident.startswith("#"):
                base = urldefrag(urljoin(base, ident))[0]
        self.root_base = self._walk(root, (), base, True)

    @staticmethod
    def _add(table: dict, key, pointer: str) -> None:
        if table.get(key, pointer) != pointer:
            table[key] = _TWICE
        else:
            table[key] = pointer

    def _identify(self, node: dict, path: tuple, base: str) -> str:
        """The node's base URI; its resource and anchors registered."""
        pointer = "".join("/" + escape_pointer_token(t) for t in path)
        legacy = self.draft in _LEGACY
        if path in self.documents:  # another document: its retrieval URI, not the enclosing base
            base = self.documents[path]
            self._add(self.resources, base, pointer)
            self.boundaries[path] = base
        ident = node.get("id" if self.draft == "4" else "$id")
        if isinstance(ident, str) and not (legacy and "$ref" in node):
            if not ident.startswith("#"):
                uri, fragment = urldefrag(urljoin(base, ident))
                base = uri
                if not fragment:
                    self._add(self.resources, uri, pointer)
                    self.boundaries[path] = uri
        if not path:
            self._add(self.resources, base, "")
            self.boundaries[path] = base
        if path in self.boundaries and node.get("$recursiveAnchor") is True and self.draft in ("2019-09", UNDECLARED):
            self.recursive_anchors.add(path)
        names = [] if legacy else [node.get("$anchor")]
        if self.draft in ("2020-12", UNDECLARED):  # a `$dynamicAnchor` is a plain name for `$ref` too
            dynamic = node.get("$dynamicAnchor")
            names.append(dynamic)
            if isinstance(dynamic, str) and dynamic:
                self._add(self.dynamic_anchors, (base, dynamic), pointer)
        if legacy or self.draft == UNDECLARED:  # `$id: "#name"` (draft 4: `id`)
            for key in ("id",) if self.draft == "4" else ("$id", "id") if self.draft == UNDECLARED else ("$id",):
                ident = node.get(key)
                if isinstance(ident, str) and ident.startswith("#"):
                    names.append(ident[1:])
        for name in names:
            if isinstance(name, str) and name:
                self._add(self.anchors, (base, name), pointer)
        return base

    def _walk(self, node: Any, path: tuple, base: str, schema: bool) -> str:
        if isinstance(node, list):
            for i, value in enumerate(node):
                self._walk(value, path + (str(i),), base, False)
            return base
        if not isinstance(node, dict):
            return base
        if schema:
            base = self._identify(node, path, base)
        ref = node.get("$ref")
        if isinstance(ref, str):
            self.refs.append((path, base, ref))
        for keyword in self._dynamic_keywords if schema else ():
            if isinstance(node.get(keyword), str):
                self.dynamic.append((path, base, node[keyword], keyword))
        for key, value in node.items():
            if key in _NOT_SCHEMAS:  # values, not schemas
                continue
            below = path + (key,)
            known = schema and key not in self.excluded
            if known and key in _MAP and isinstance(value, dict):
                for name, sub in value.items():
                    self._walk(sub, below + (name,), base, not isinstance(sub, list))
            elif known and (key in _LIST or key == "items") and isinstance(value, list):
                for i, sub in enumerate(value):
                    self._walk(sub, below + (str(i),), base, True)
            else:
                self._walk(value, below, base, known and key in _ONE)
        return base

    def resolve(self, ref: Any, base: str) -> tuple[Any, str]:
        """The sub-schema `ref` (read against `base`) points to, and its pointer from the root."""
        return self.locate(ref, base)[1:]

    def locate(self, ref: Any, base: str) -> tuple[str, Any, str]:
        """(pointer of the resource `ref`'s URI names, target, pointer of the target)."""
        if not isinstance(ref, str):
            raise RefError("$ref must be a string")
        uri, fragment = (base, ref[1:]) if ref.startswith("#") else urldefrag(urljoin(base, ref))
        where = self.resources.get(uri)
        if where is None:
            shown = repr(ref) if uri == ref.partition("#")[0] else f"{ref!r} ({uri})"
            hint = f"pass the document at {uri} in `resources`" if ":" in uri else \
                "give the schema an absolute `$id`, and pass the document at the URI the reference joins to " \
                "in `resources`"
            raise RefError(f"{shown} points outside this document (nothing is fetched: {hint})")
        if where is _TWICE:
            raise RefError(f"{uri!r} is declared twice in this document")
        fragment = unquote(fragment)
        if fragment and not fragment.startswith("/"):
            where = self.anchors.get((uri, fragment))
            if where is None:
                raise RefError(f"no anchor named {fragment!r} in {uri or 'the document'}")
            if where is _TWICE:
                raise RefError(f"the anchor {fragment!r} is declared twice in {uri or 'the document'}")
            fragment = ""
        resource = self.resources[uri]
        return (resource, *_follow(self.root, where, fragment, ref))


def _follow(root: Any, start: str, fragment: str, ref: str) -> tuple[Any, str]:
    """The node at pointer `start` (escaped, from the root), then `fragment` below it."""
    node = root
    pointer = ""
    for raw in (start + fragment).split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise RefError(f"{ref!r} points to nothing")
        pointer += "/" + escape_pointer_token(token)
    return node, pointer


def resolve_ref(root: Any, ref: str) -> tuple[Any, str]:
    """The sub-schema `ref` (read at the root, against the root's URI) points to in `root`, and
    its JSON pointer from the root."""
    if isinstance(ref, str) and (ref == "#" or ref.startswith("#/")):  # the root resource whatever its URI
        return _follow(root, "", unquote(ref[1:]), ref)
    index = DocumentIndex(root)  # rebased documents come here only with refs that fail
    return index.resolve(ref, index.root_base)


def _replaced(node: Any, changes: dict) -> Any:
    """`node` with the `$ref` of each path in `changes` (a tree of tokens) replaced; the parts
    without changes are the originals (shared)."""
    if isinstance(node, list):
        out = list(node)
        for token, below in changes.items():
            out[int(token)] = _replaced(out[int(token)], below)
        return out
    out = dict(node)
    for token, below in changes.items():
        if token is None:
            out["$ref"] = below
        else:
            out[token] = _replaced(out[token], below)
    return out


def rebased_ref(index: DocumentIndex, ref: str, base: str) -> str:
    """`ref` (read against `base`) as the pointer of its target, or joined to its base URI when
    it resolves to nothing (so that it fails the same way read at the root)."""
    try:
        return _as_fragment(index.resolve(ref, base)[1])
    except RefError:
        return ref if base == index.root_base else _join(base, ref)


def rebase_refs(root: Any, index: DocumentIndex | None = None) -> Any:
    """The document with each `$ref` written so that it means the same read at the root: the
    pointer of its target from the root, or (when it resolves to nothing here) the reference
    joined to its base URI. The document itself when no `$ref` changes. `index`: the document's
    `DocumentIndex` when already built (with its embedded documents)."""
    index = index or DocumentIndex(root)
    changes: dict = {}
    for path, base, ref in index.refs:
        new = rebased_ref(index, ref, base)
        if new != ref:
            tree = changes
            for token in path:
                tree = tree.setdefault(token, {})
            tree[None] = new
    return _replaced(root, changes) if changes else root


def _refs_below(node: Any, found: list[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.append(ref)
        for key, value in node.items():
            if key not in _NOT_SCHEMAS:
                _refs_below(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs_below(value, found)


class RefGraph:
    """Which reference targets can reach themselves again (their language depends on how deep
    the recursion already is); the others may be translated once and reused."""

    def __init__(self, root: Any):
        self.root = root
        self._edges: dict[str, list[str]] = {}
        self._recursive: dict[str, bool] = {}

    def _targets(self, pointer: str) -> list[str]:
        if pointer not in self._edges:
            found: list[str] = []
            try:
                node, _ = resolve_ref(self.root, _as_fragment(pointer))
            except RefError:
                node = None
            _refs_below(node, found)
            targets = []
            for ref in found:
                try:
                    targets.append(resolve_ref(self.root, ref)[1])
                except RefError:
                    continue
            self._edges[pointer] = list(dict.fromkeys(targets))
        return self._edges[pointer]

    def _reach(self, pointer: str) -> set[str]:
        seen: set[str] = set()
        stack = list(self._targets(pointer))
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self._targets(current))
        return seen

    def recursive(self, pointer: str) -> bool:
        """True when some target reachable from `pointer` (itself included) reaches itself."""
        if pointer not in self._recursive:
            reach = self._reach(pointer) | {pointer}
            self._recursive[pointer] = any(p in self._reach(p) for p in reach)
        return self._recursive[pointer]
