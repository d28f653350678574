"""Local `$ref` resolution inside one schema document.

Takes the root schema and a reference string; gives the referenced sub-schema and its JSON
pointer. Only references into the same document are resolved: `#`, `#/definitions/x`,
`#/$defs/x`, any JSON pointer (with `~0`, `~1` and percent escapes), and `#name` plain-name
anchors declared with `$anchor` (or draft-6/7 `$id: "#name"`). The rest (other documents,
URLs) raises `RefError`.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import unquote

__all__ = ["RefError", "resolve_ref", "escape_pointer_token", "RefGraph"]


class RefError(Exception):
    """The reference cannot be resolved locally (the message says why)."""


def escape_pointer_token(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _anchors(node: Any, pointer: str, found: dict[str, str]) -> None:
    if isinstance(node, dict):
        anchor = node.get("$anchor")
        if isinstance(anchor, str):
            found.setdefault(anchor, pointer)
        for id_key in ("$id", "id"):
            ident = node.get(id_key)
            if isinstance(ident, str) and ident.startswith("#") and len(ident) > 1:
                found.setdefault(ident[1:], pointer)
        for key, value in node.items():
            if key in ("enum", "const", "default", "examples", "example"):
                continue
            _anchors(value, f"{pointer}/{escape_pointer_token(key)}", found)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _anchors(value, f"{pointer}/{i}", found)


def _root_ids(root: Any) -> set[str]:
    ids = set()
    if isinstance(root, dict):
        for id_key in ("$id", "id"):
            ident = root.get(id_key)
            if isinstance(ident, str):
                ids.add(ident.split("#")[0])
    return ids


def resolve_ref(root: Any, ref: str) -> tuple[Any, str]:
    """The sub-schema `ref` points to in `root`, and its JSON pointer."""
    if not isinstance(ref, str):
        raise RefError("$ref must be a string")
    base, _, fragment = ref.partition("#")
    if base and base not in _root_ids(root):
        raise RefError(f"{ref!r} points outside this document")
    fragment = unquote(fragment)
    if fragment and not fragment.startswith("/"):
        anchors: dict[str, str] = {}
        _anchors(root, "", anchors)
        if fragment not in anchors:
            raise RefError(f"no anchor named {fragment!r}")
        fragment = anchors[fragment]
    node = root
    pointer = ""
    for raw in fragment.split("/")[1:] if fragment else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise RefError(f"{ref!r} points to nothing")
        pointer += "/" + escape_pointer_token(token)
    return node, pointer


_NOT_SCHEMAS = ("enum", "const", "default", "examples", "example")


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
                node, _ = resolve_ref(self.root, "#" + pointer)
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
