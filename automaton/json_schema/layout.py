"""Where whitespace goes: the punctuation regexes of objects and arrays at a nesting depth.

Three layouts, each giving the regex of an opening bracket, a closing bracket, the separator
between items, the one between a key and its value, and an empty container:

- compact (default): `{"a":1,"b":[1,2]}`, what `json.dumps(separators=(",", ":"))` writes;
- `whitespace=N`: up to N whitespace characters (space, tab, newline, carriage return) at each
  structural point inside containers; never unbounded;
- `indent=N`: exactly what `json.dumps(indent=N)` writes (newline, then N spaces per level).
"""
from __future__ import annotations

from dataclasses import dataclass

from automaton.syntax.render import literal

__all__ = ["Layout"]


@dataclass(frozen=True)
class Layout:
    whitespace: int | None = None
    indent: int | None = None

    def _gap(self) -> str:
        if not self.whitespace:
            return ""
        return "[ \\t\\n\\r]" + ("?" if self.whitespace == 1 else f"{{0,{self.whitespace}}}")

    def _line(self, depth: int) -> str:
        return "\\n" + literal(" " * (self.indent * depth))

    def open(self, bracket: str, depth: int) -> str:
        """`{` or `[` of a non-empty container at `depth` (0 for the outermost), and what follows it."""
        if self.indent is not None:
            return literal(bracket) + self._line(depth + 1)
        return literal(bracket) + self._gap()

    def close(self, bracket: str, depth: int) -> str:
        if self.indent is not None:
            return self._line(depth) + literal(bracket)
        return self._gap() + literal(bracket)

    def item_separator(self, depth: int) -> str:
        if self.indent is not None:
            return "," + self._line(depth + 1)
        return self._gap() + "," + self._gap()

    def key_separator(self) -> str:
        if self.indent is not None:
            return ": "
        return self._gap() + ":" + self._gap()

    def empty(self, brackets: str) -> str:
        """`{}` or `[]`."""
        if self.indent is not None or not self.whitespace:
            return literal(brackets)
        return literal(brackets[0]) + self._gap() + literal(brackets[1])
