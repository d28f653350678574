"""Python's own `re` parser, reached in one place whatever this Python calls it.

Gives:
    sre_parse          the parser behind `re.compile` (`re._parser` since Python 3.11, `sre_parse`
                       before): `parse(pattern)` -> a `SubPattern` of `(opcode, operand)` items;
                       `SubPattern(State(), items)` rebuilds one, `.getwidth()` measures it
    sre_constants      the opcodes that parse is made of (`LITERAL`, `IN`, `MAX_REPEAT`, ...)
    CLASS_ESCAPES      a `CATEGORY` operand -> (letter, negated): `\\D` gives ("d", True); what
                       the letters stand for is `charsets.ASCII_CLASSES` / `charsets.unicode_class`

`parser` checks every pattern with it before interegular reads the structure; a JSON schema's
`pattern`, which `re.search` validates, is walked from its parse by `json_schema.patterns`.

    >>> sre_parse.parse(r"\\D")[0][1][0][1] in CLASS_ESCAPES
    True
"""
from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import re._constants as sre_constants  # type: ignore[import-not-found]
    import re._parser as sre_parse  # type: ignore[import-not-found]
else:  # pragma: no cover
    import sre_constants
    import sre_parse

__all__ = ["sre_parse", "sre_constants", "CLASS_ESCAPES"]

CLASS_ESCAPES = {
    sre_constants.CATEGORY_DIGIT: ("d", False),
    sre_constants.CATEGORY_NOT_DIGIT: ("d", True),
    sre_constants.CATEGORY_WORD: ("w", False),
    sre_constants.CATEGORY_NOT_WORD: ("w", True),
    sre_constants.CATEGORY_SPACE: ("s", False),
    sre_constants.CATEGORY_NOT_SPACE: ("s", True),
}
