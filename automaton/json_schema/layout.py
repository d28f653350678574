"""Where whitespace goes: the punctuation regexes of objects and arrays at a nesting depth.

Each layout gives the regex of an opening bracket, a closing bracket, the separator between
items, the one between a key and its value, and an empty container:

- "spaced" (the default of the public entry points): `{"a": 1, "b": [1, 2]}`, what
  `json.dumps(value)` writes (`", "` and `": "`);
- "compact": `{"a":1,"b":[1,2]}`, what `json.dumps(separators=(",", ":"))` writes;
- an int N (`indent=N`): exactly what `json.dumps(indent=N)` writes (newline, then N spaces per level);
- compact with `whitespace=N`: up to N whitespace characters (space, tab, newline, carriage
  return) at each structural point inside containers; never unbounded.

`Layout.of("spaced" | "compact" | N, whitespace=None)` reads the public option.

    >>> Layout.of("spaced").item_separator(0), Layout.of(2).key_separator()
    (', ', ': ')
"""
from __future__ import annotations

from dataclasses import dataclass

from automaton.errors import InvalidSchemaError
from automaton.syntax.render import literal

__all__ = ["Layout", "LAYOUTS", "layout_option"]

LAYOUTS = ("spaced", "compact")


def layout_option(text: str) -> str | int:
    """A command line's `--layout` value: "spaced", "compact" or a number of spaces (argparse `type=`)."""
    if text in LAYOUTS:
        return text
    if text.isdigit():
        return int(text)
    from argparse import ArgumentTypeError

    raise ArgumentTypeError(f"'spaced', 'compact' or a number of spaces, not {text!r}")


@dataclass(frozen=True)
class Layout:
    whitespace: int | None = None
    indent: int | None = None
    spaced: bool = False

    @classmethod
    def of(cls, layout: str | int = "spaced", whitespace: int | None = None) -> Layout:
        """The layout named by the public option: "spaced", "compact" or an indent (int >= 0)."""
        if isinstance(layout, int) and not isinstance(layout, bool) and layout >= 0:
            if whitespace:
                raise InvalidSchemaError("layout", "", "whitespace applies to the compact layout only")
            return cls(indent=layout)
        if layout not in LAYOUTS:
            raise InvalidSchemaError(
                "layout", "", f'layout must be "spaced", "compact" or an indent (int >= 0), not {layout!r}'
            )
        if layout == "spaced":
            if whitespace:
                raise InvalidSchemaError("layout", "", "whitespace applies to the compact layout only")
            return cls(spaced=True)
        return cls(whitespace=whitespace)

    @property
    def name(self) -> str:
        """The option that gives this layout (part of the cache key of an index)."""
        if self.indent is not None:
            return f"indent={self.indent}"
        if self.spaced:
            return "spaced"
        return f"compact,whitespace={self.whitespace}" if self.whitespace else "compact"

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
        if self.spaced:
            return ", "
        return self._gap() + "," + self._gap()

    def key_separator(self) -> str:
        if self.indent is not None or self.spaced:
            return ": "
        return self._gap() + ":" + self._gap()

    def empty(self, brackets: str) -> str:
        """`{}` or `[]`."""
        if self.indent is not None or not self.whitespace:
            return literal(brackets)
        return literal(brackets[0]) + self._gap() + literal(brackets[1])
