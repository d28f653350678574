"""Rewrites of the syntax tree that keep its language and shrink its NFA, run before the NFA is built.

    simplify(node) -> Node     the same language (never more NFA states: `count_nfa_states`)

Why: Thompson's construction turns a repeat of something that matches the empty string into a
chain of epsilon moves through every copy. `(?:R?){n}` and `X?(R||){n}` give each copy an
epsilon path to every later copy, so a DFA state holds O(n) NFA states and subset construction
costs O(n^2) or worse; `b*b*b*...` does the same with stars. The rewrites below remove the
empty string from what is repeated, or merge the repeats, so the NFA has no such chains.

Rules (X, Y any subtree; X{a,b} means `Repeat(X, a, b)`, b = None unbounded; X? = X{0,1}):

    concatenation  nested ones flattened, empty strings dropped; neighbours X{a,b} X{c,d} (a
                   bare X counts as X{1,1}, at least one of them a repeat) merge into
                   X{a+c,b+d}, since X^i X^j = X^(i+j): `b*b*` -> `b*`, `aa*` -> `a{1,}`
    alternation    nested ones flattened, repeated options dropped (the first kept);
                   `R|` (one option and the empty string) -> R?
    repeat         X{0,0}, (empty){a,b} -> empty; X{1,1} -> X;
                   (X{a,b}){m,M} -> X{ma,Mb} where the ranges j*[a,b], j = m..M, leave no gap:
                       m = M, or (m+1)*a <= m*b + 1 (b unbounded: m >= 1 or a <= 1);
                   X{m,M} with X nullable (matches the empty string) -> X'{0,M}, X' = X without
                       the empty string where that is written cheaply (X = Y{0,b} with Y not
                       nullable: Y{1,b}; an alternation: its options' X', empty ones dropped),
                       else X{0,M}: X^k holds X^j for every j <= k once X holds the empty string.

So `(?:R?){n}` and `(R||){n}` become R{0,n}, whose NFA has one shared exit (no chains), and
`"b*" * 9000` becomes `b*`. Every rule keeps the language exactly (tests/automaton/dfa/
test_simplify.py checks them against `re.fullmatch` and against the unrewritten DFA).

    >>> from automaton.syntax.parser import parse_regex
    >>> simplify(parse_regex("(?:a?){3}"))
    Repeat(item=CharSet(ranges=((97, 97),)), min=0, max=3)
    >>> simplify(parse_regex("b*b*b*")) == parse_regex("b*")
    True
"""
from __future__ import annotations

from automaton.syntax.tree import EMPTY_STRING, Alternation, CharSet, Concat, Node, Repeat

__all__ = ["simplify"]


def simplify(node: Node) -> Node:
    """`node` rewritten bottom-up by the rules above (the same language). Linear in the size of
    the tree, but for the comparisons of merged neighbours and the hashes of options."""
    return _Simplifier().node(node)


class _Simplifier:
    def __init__(self) -> None:
        # id(node) -> (node, nullable) for the nodes this run made or met: the node is kept so
        # that its id is not reused while the memo lives.
        self.memo: dict[int, tuple[Node, bool]] = {}

    def nullable(self, node: Node) -> bool:
        """Whether `node` matches the empty string."""
        known = self.memo.get(id(node))
        if known is not None:
            return known[1]
        if isinstance(node, CharSet):
            result = False
        elif isinstance(node, Concat):
            result = all(self.nullable(item) for item in node.items)
        elif isinstance(node, Alternation):
            result = any(self.nullable(option) for option in node.options)
        else:
            result = node.min == 0 or self.nullable(node.item)
        self.memo[id(node)] = (node, result)
        return result

    def node(self, node: Node) -> Node:
        if isinstance(node, CharSet):
            return node
        if isinstance(node, Concat):
            return self.concat([self.node(item) for item in node.items])
        if isinstance(node, Alternation):
            return self.alternation([self.node(option) for option in node.options])
        if isinstance(node, Repeat):
            return self.repeat(self.node(node.item), node.min, node.max, node)
        raise TypeError(f"not a syntax tree node: {node!r}")

    def concat(self, items: list[Node]) -> Node:
        merged: list[Node] = []
        run: list[Node] = []  # neighbours X{a,b} with one X, at the end of `merged`

        def close_run() -> None:
            if len(run) == 1 or not any(isinstance(part, Repeat) for part in run):
                merged.extend(run)
            else:
                base = _as_repeat(run[0])[0]
                low = sum(_as_repeat(part)[1] for part in run)
                highs = [_as_repeat(part)[2] for part in run]
                high = None if None in highs else sum(highs)
                part = self.repeat(base, low, high)
                merged.extend(part.items if isinstance(part, Concat) else (part,))
            run.clear()

        for item in items:
            for part in item.items if isinstance(item, Concat) else (item,):  # flattened; empty dropped
                if run and _as_repeat(run[0])[0] != _as_repeat(part)[0]:
                    close_run()
                run.append(part)
        close_run()
        if len(merged) == 1:
            return merged[0]
        return Concat(tuple(merged))

    def alternation(self, options: list[Node]) -> Node:
        kept: dict[Node, None] = {}  # an ordered set: options hash by their contents
        for option in options:
            for part in option.options if isinstance(option, Alternation) else (option,):
                kept.setdefault(part)
        parts = list(kept)
        if len(parts) == 1:
            return parts[0]
        if len(parts) == 2 and EMPTY_STRING in kept:  # R| -> R?
            return self.repeat(parts[0] if parts[1] == EMPTY_STRING else parts[1], 0, 1)
        return Alternation(tuple(parts))

    def repeat(self, item: Node, low: int, high: int | None, original: Repeat | None = None) -> Node:
        """item{low,high} rewritten (`original`, when given, is returned if nothing changes)."""
        if high == 0 or (isinstance(item, Concat) and not item.items):
            return EMPTY_STRING
        if low == 1 and high == 1:
            return item
        if isinstance(item, Repeat) and _no_gap(item.min, item.max, low, high):
            inner_high = None if item.max is None or high is None else item.max * high
            return self.repeat(item.item, item.min * low, inner_high)
        if low > 0 and self.nullable(item):
            low = 0
        if low == 0 and self.nullable(item):
            without_empty = self.without_empty(item)
            if without_empty is not None:
                return self.repeat(without_empty, 0, high)
        if original is not None and original.item is item and original.min == low and original.max == high:
            return original
        return Repeat(item, low, high)

    def without_empty(self, node: Node) -> Node | None:
        """A tree for the language of (simplified, nullable) `node` less the empty string, when
        one is written cheaply; else None."""
        if isinstance(node, Repeat):
            if node.min == 0 and not self.nullable(node.item):
                return self.repeat(node.item, 1, node.max)
            return None
        if isinstance(node, Alternation):
            options: list[Node] = []
            for option in node.options:
                if option == EMPTY_STRING:
                    continue
                if self.nullable(option):
                    option = self.without_empty(option)
                    if option is None:
                        return None
                options.append(option)
            return self.alternation(options) if options else None
        return None  # a concatenation of nullable items: its non-empty part is a longer alternation


def _no_gap(a: int, b: int | None, m: int, big_m: int | None) -> bool:
    """Whether the union over j = m..M of X{j*a, j*b} is X{m*a, M*b}: consecutive ranges touch."""
    if m == big_m:
        return True
    if b is None:
        return m >= 1 or a <= 1
    return (m + 1) * a <= m * b + 1


def _as_repeat(node: Node) -> tuple[Node, int, int | None]:
    """(X, a, b) with node = X{a,b}; a node that is no repeat is X{1,1}."""
    if isinstance(node, Repeat):
        return node.item, node.min, node.max
    return node, 1, 1
