"""`$dynamicRef` (2020-12) and `$recursiveRef` (2019-09) resolved statically, by specialising.

Where a dynamic reference leads depends on the dynamic scope: the schema resources entered on
the way from the root to it, lexically (a sub-schema with its own `$id`) or through references
(the resource a reference's URI names, and the resources its pointer passes into). The
translator reads references as JSON pointers from the root, so `bind_refs(root, documents)` turns
every reference into one before translating, copying the sub-schemas whose meaning depends on
the scope once per scope they are reached in:

- `$dynamicRef: "...#name"` is first resolved like `$ref`; when that target declares
  `$dynamicAnchor: "name"`, it leads instead to the `$dynamicAnchor: "name"` of the outermost
  resource of the dynamic scope that declares one (the current resource included); otherwise,
  or with a pointer fragment, it is a `$ref`.
- `$recursiveRef: "#"` leads to the current resource; when that resource has
  `$recursiveAnchor: true`, to the outermost of the resources with `$recursiveAnchor: true`
  entered one after the other up to it (as the `referencing` library reads 2019-09).

The scope matters only through what it binds: per anchor name used by a `$dynamicRef`, the
outermost declaring resource, and the start of the current chain of recursive anchors. A
reference target from which no dynamic reference can be reached keeps its place; the others
are copied under `definitions` (keyed `dynamic-scope-N`) once per binding they are reached
with. Bindings only grow along a path and are finitely many, so an endless recursion comes back
to a copy already made, and the translator cuts it after `max_recursion` levels as any other.

A dynamic reference that resolves to nothing is left as a `$ref` joined to its base URI, which
fails when translated as such a `$ref` does.

    >>> schema = {"$id": "https://example.com/root", "$dynamicAnchor": "node",
    ...           "$ref": "list", "$defs": {"list": {"$id": "list", "$dynamicAnchor": "node",
    ...                                              "items": {"$dynamicRef": "#node"}},
    ...                                     "int": {"type": "integer"}}}
    >>> bind_refs(schema, {})["$defs"]["list"]["items"]
    {'$ref': '#'}
"""
from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urldefrag

from automaton.errors import UnsupportedSchemaError
from automaton.json_schema.refs import (
    DocumentIndex,
    RefError,
    escape_pointer_token,
    pointer_tokens,
    rebase_refs,
    rebased_ref,
)

__all__ = ["bind_refs"]

_NOT_SCHEMAS = ("enum", "const", "default", "examples", "example")
_PLACE = "definitions"
_MAX_COPIES = 2000
# (sorted (anchor name, path of its $dynamicAnchor)), path of the recursive chain's start or None
Scope = tuple[tuple[tuple[str, tuple[str, ...]], ...], "tuple[str, ...] | None"]


def _pointer(path: tuple[str, ...]) -> str:
    return "#" + "".join("/" + escape_pointer_token(t) for t in path).replace("%", "%25")


def _node(root: Any, path: tuple[str, ...]) -> Any:
    node = root
    for token in path:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


class _Binder:
    def __init__(self, index: DocumentIndex):
        self.index = index
        self.root = index.root
        self.refs = {path: (base, ref) for path, base, ref in index.refs}
        self.dynamic: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}
        for path, base, ref, keyword in index.dynamic:
            self.dynamic.setdefault(path, []).append((base, ref, keyword))
        self.names = {unquote(urldefrag(ref)[1]) for _, _, ref, keyword in index.dynamic if keyword == "$dynamicRef"}
        self.recursive = any(keyword == "$recursiveRef" for _, _, _, keyword in index.dynamic)
        self._dirty: dict[tuple[str, ...], bool] = {}
        self.copies: dict[tuple[tuple[str, ...], Scope], str] = {}
        self.shelf: dict[str, Any] = {}
        self.work: list[tuple[str, tuple[str, ...], Scope]] = []
        shelf = self.root.get(_PLACE) if isinstance(self.root, dict) else None
        self.taken = set(shelf) if isinstance(shelf, dict) else set()  # names already under `definitions`

    # -- scopes --------------------------------------------------------------------------------
    def enter(self, scope: Scope, resource: tuple[str, ...]) -> Scope:
        bound, chain = scope
        uri = self.index.boundaries[resource]
        names = dict(bound)
        for name in self.names:
            where = self.index.dynamic_anchors.get((uri, name))
            if name not in names and isinstance(where, str):
                names[name] = pointer_tokens(where)
        if self.recursive:
            chain = (chain if chain is not None else resource) if resource in self.index.recursive_anchors else None
        return tuple(sorted(names.items())), chain

    def entered(self, scope: Scope, target: tuple[str, ...], resource: tuple[str, ...]) -> Scope:
        """The scope after a reference into `resource` reaching `target` below it."""
        for size in range(len(resource), len(target) + 1):
            if target[:size] in self.index.boundaries and target[:len(resource)] == resource:
                scope = self.enter(scope, target[:size])
        return scope

    def resource_of(self, path: tuple[str, ...]) -> tuple[str, ...]:
        return max((p for p in self.index.boundaries if path[:len(p)] == p), key=len)

    # -- which targets depend on the scope ------------------------------------------------------
    def dirty(self, path: tuple[str, ...]) -> bool:
        """True when a dynamic reference can be reached from the sub-schema at `path`."""
        if path not in self._dirty:
            seen = {path}
            stack = [path]
            found = False
            while stack and not found:
                current = stack.pop()
                found = any(p[:len(current)] == current for p in self.dynamic)
                for ref_path, (base, ref) in self.refs.items():
                    if ref_path[:len(current)] != current:
                        continue
                    try:
                        target = pointer_tokens(self.index.resolve(ref, base)[1])
                    except RefError:
                        continue
                    if target not in seen:
                        seen.add(target)
                        stack.append(target)
            self._dirty[path] = found
        return self._dirty[path]

    def place(self, target: tuple[str, ...], scope: Scope) -> str:
        """The pointer of `target` as read in `scope` (a copy when its meaning depends on it)."""
        if not self.dirty(target):
            return _pointer(target)
        key = (target, scope)
        if key not in self.copies:
            if len(self.copies) >= _MAX_COPIES:
                raise UnsupportedSchemaError("$dynamicRef", "", f"more than {_MAX_COPIES} dynamic scopes")
            name = f"dynamic-scope-{len(self.copies)}"
            while name in self.taken:
                name += "'"
            self.copies[key] = _pointer((_PLACE, name))
            self.work.append((name, target, scope))
        return self.copies[key]

    # -- references ----------------------------------------------------------------------------
    def static_ref(self, base: str, ref: str, scope: Scope) -> str:
        try:
            resource, _, pointer = self.index.locate(ref, base)
        except RefError:
            return rebased_ref(self.index, ref, base)
        target = pointer_tokens(pointer)
        return self.place(target, self.entered(scope, target, pointer_tokens(resource)))

    def dynamic_ref(self, base: str, ref: str, keyword: str, scope: Scope) -> str:
        if keyword == "$recursiveRef":
            if ref != "#":
                raise UnsupportedSchemaError("$recursiveRef", "", f"only '#' is a $recursiveRef, not {ref!r}")
            start = self.index.resources.get(base)
            if not isinstance(start, str):
                return rebased_ref(self.index, ref, base)
            target = pointer_tokens(start)
            if target in self.index.recursive_anchors and scope[1] is not None:
                target = scope[1]
            return self.place(target, self.entered(scope, target, target))
        try:
            resource, node, pointer = self.index.locate(ref, base)
        except RefError:
            return rebased_ref(self.index, ref, base)
        name = unquote(urldefrag(ref)[1])
        target = pointer_tokens(pointer)
        if name and not name.startswith("/") and isinstance(node, dict) and node.get("$dynamicAnchor") == name:
            bound = dict(scope[0]).get(name)
            if bound is not None:
                target = bound
                resource = "".join("/" + escape_pointer_token(t) for t in self.resource_of(bound))
        return self.place(target, self.entered(scope, target, pointer_tokens(resource)))

    # -- copying ---------------------------------------------------------------------------------
    def rewrite(self, node: Any, path: tuple[str, ...], scope: Scope, copy: bool) -> Any:
        """`node` (at `path` in the original) with its references bound in `scope`."""
        if isinstance(node, list):
            return [self.rewrite(v, path + (str(i),), scope, copy) for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        if path in self.index.boundaries:
            scope = self.enter(scope, path)
        out = {}
        for key, value in node.items():
            if key in _NOT_SCHEMAS or (copy and key in ("$id", "id") and path in self.index.boundaries):
                if key in _NOT_SCHEMAS:
                    out[key] = value
                continue
            out[key] = self.rewrite(value, path + (key,), scope, copy)
        if path in self.refs:
            out["$ref"] = self.static_ref(*self.refs[path], scope)
        for base, ref, keyword in self.dynamic.get(path, ()):
            bound = self.dynamic_ref(base, ref, keyword, scope)
            del out[keyword]
            if "$ref" in out:
                out["allOf"] = list(out.get("allOf") or []) + [{"$ref": bound}]
            else:
                out["$ref"] = bound
        return out

    def run(self) -> Any:
        self.copies[((), self.enter(((), None), ()))] = _pointer(())  # the root, read in its own scope
        root = self.rewrite(self.root, (), ((), None), False)
        while self.work:
            name, target, scope = self.work.pop()
            self.shelf[name] = self.rewrite(_node(self.root, target), target, scope, True)
        if self.shelf:
            shelf = root.get(_PLACE, {})
            if not isinstance(shelf, dict):
                raise UnsupportedSchemaError("$dynamicRef", "", f"copies go under {_PLACE}, which is not a map")
            root[_PLACE] = {**shelf, **self.shelf}
        return root


def bind_refs(root: Any, documents: dict[tuple[str, ...], str]) -> Any:
    """The document (other documents embedded at `documents`, see `resources`) with every `$ref`,
    `$dynamicRef` and `$recursiveRef` the draft knows written as the JSON pointer of its target
    from the root (`refs.rebase_refs` when there is no dynamic reference)."""
    index = DocumentIndex(root, documents)
    if not index.dynamic:
        return rebase_refs(root, index)
    return _Binder(index).run()
