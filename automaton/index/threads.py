"""The index build's trie walks spread over several threads (the kernels release the GIL).

    build_threads() -> int          threads a build may use: AUTOMATON_BUILD_THREADS, else the
                                    CPUs this process may run on
    walk_costs(table, states, trie) -> float64[n]   a guess of the trie nodes and tokens each
                                    state's walk visits
    explore_in_threads(table, initial, states, allowed_end, accepting, trie, max_depth, eos_ids,
                       n_words, max_states, threads, costs=None, deadline=None)
                                 -> `automaton.kernels.explore.explore_states`' result, the same arrays

`explore_states` discovers states breadth-first, one batch after another, so it cannot be
split. Here every candidate DFA state is walked up front, independently (`walk_states`, a
share of the states per thread), and `number_walked_states` then keeps the states reached from
the start, numbered as `explore_states` numbers them. When the vocabulary holds every single
byte as a token (byte-level BPE, SentencePiece with byte fallback, tiktoken), every live DFA
state is reached at a token boundary, so no walk is wasted; with other vocabularies the
unreached states' walks are thrown away.

With a `deadline` that has a budget, the walks are cut into pieces of about `COST_PER_LOOK`
units of `walk_costs` (tens of milliseconds), and the deadline is looked at as each piece ends:
numba code has no clock, so this is how the index build stops within a fraction of a second of
the budget.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from automaton import kernels
from automaton.dfa.byte_dfa import DEAD_STATE
from automaton.dfa.limits import Deadline
from automaton.errors import SettingError
from automaton.kernels.layout import LANES  # states per trie pass of the walk kernels

__all__ = ["BUILD_THREADS_ENV", "COST_PER_LOOK", "build_threads", "walk_costs", "explore_in_threads"]

BUILD_THREADS_ENV = "AUTOMATON_BUILD_THREADS"

# Pieces of work per thread: the pool hands them out as threads free up, which evens out
# errors in the cost guess.
_PIECES_PER_THREAD = 3

# Under a deadline, a piece of walks costs at most about this much (`walk_costs` units: about
# 10^8 a second per thread here), so that the deadline is looked at every few tens of ms.
COST_PER_LOOK = 4_000_000

# How long the thread that waits for the pieces sleeps between looks at the deadline, in seconds.
_WAIT_STEP = 0.02

_pool_lock = threading.Lock()
_pool: tuple[int, int, ThreadPoolExecutor] | None = None  # (pid, workers, executor)


def build_threads() -> int:
    """Threads an index build may use: the integer in AUTOMATON_BUILD_THREADS (1 = one thread),
    else the number of CPUs this process may run on."""
    configured = os.environ.get(BUILD_THREADS_ENV, "").strip()
    if configured:
        try:
            threads = int(configured)
        except ValueError:
            threads = 0
        if threads < 1:
            raise SettingError(f"{BUILD_THREADS_ENV}={configured!r} is not a positive whole number of threads")
        return threads
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def walk_costs(table: np.ndarray, states: np.ndarray, trie: tuple) -> np.ndarray:
    """float64[n]: per DFA state, the trie nodes and token ids under the first bytes it does not
    die on (an upper bound on the nodes its walk visits and the mask bits it sets, good enough
    to sort and share out the walks)."""
    node_class, _, node_end, node_token_offsets = trie[:4]
    first = _root_children(node_end)
    subtree_nodes = node_end[first] - first
    subtree_tokens = node_token_offsets[node_end[first]] - node_token_offsets[first]
    cost_of_class = np.bincount(
        node_class[first], weights=(subtree_nodes + subtree_tokens).astype(np.float64), minlength=table.shape[1]
    )
    return (table[states] != DEAD_STATE) @ cost_of_class


def _root_children(node_end: np.ndarray) -> np.ndarray:
    """int64[k]: the root's children in a depth-first trie (each one's subtree ends where the
    next begins), found without a pass over every node."""
    children = []
    node, n_nodes = 1, node_end.shape[0]
    while node < n_nodes:
        children.append(node)
        node = int(node_end[node])
    return np.array(children, dtype=np.int64)


def explore_in_threads(
    table, initial, states, allowed_end, accepting, trie, max_depth, eos_ids, n_words, max_states, threads,
    costs=None, deadline: Deadline | None = None,
):
    """`automaton.kernels.explore.explore_states`' result, walking `states` (every DFA state a token may end in,
    and `initial`) on up to `threads` threads. `trie`: the seven arrays of `class_trie`; `max_depth` and the
    rest as in `explore_states`; `costs`: `walk_costs` of `states` when known; `deadline`: looked at after
    each piece of about `COST_PER_LOOK` (`CompileTimeoutError` "building the index": the pieces not started
    are dropped)."""
    states = np.ascontiguousarray(states, dtype=np.int32)
    if costs is None:
        costs = walk_costs(table, states, trie)
    timed = deadline is not None and deadline.expires is not None
    n_pieces = threads * _PIECES_PER_THREAD if threads > 1 else 1
    if timed:
        n_pieces = max(n_pieces, int(costs.sum() // COST_PER_LOOK) + 1)
    pieces = _share_out(states, costs, n_pieces)

    def walk(piece):
        return kernels.walk_states(table, piece, allowed_end, accepting, *trie, max_depth, eos_ids, n_words)

    if threads > 1 and len(pieces) > 1:
        walks = _walk_in_pool(walk, pieces, threads, deadline if timed else None)
    else:
        walks = []
        for piece in pieces:
            walks.append(walk(piece))
            if timed:
                deadline.check("building the index")
    row_base = np.cumsum([0] + [masks.shape[0] for masks, _, _, _ in walks])
    edge_base = np.cumsum([0] + [found.shape[0] for _, _, _, found in walks])
    found_offsets = np.concatenate(
        [np.zeros(1, np.int64)] + [offsets[1:] + base for (_, _, offsets, _), base in zip(walks, edge_base)]
    )
    return kernels.number_walked_states(
        int(initial),
        int(table.shape[0]),
        np.concatenate(pieces),
        np.concatenate([row_of + np.int32(base) for (_, row_of, _, _), base in zip(walks, row_base)]),
        np.concatenate([masks for masks, _, _, _ in walks]),
        found_offsets,
        np.concatenate([found for _, _, _, found in walks]),
        int(max_states),
    )


def _walk_in_pool(walk, pieces: list[np.ndarray], threads: int, deadline: Deadline | None) -> list:
    """[walk(piece) for piece in pieces] on the pool; with a deadline, looked at while waiting (the
    pieces not yet started are cancelled when it is spent)."""
    if deadline is None:
        return list(_executor(threads).map(walk, pieces))
    futures = [_executor(threads).submit(walk, piece) for piece in pieces]
    try:
        for future in futures:
            deadline.check("building the index")
            while not _finished(future):
                deadline.check("building the index")
        deadline.check("building the index")
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return [future.result() for future in futures]


def _finished(future) -> bool:
    """Whether `future` is done, waiting for it at most `_WAIT_STEP` seconds."""
    try:
        future.exception(timeout=_WAIT_STEP)
    except TimeoutError:
        return False
    return True


def _share_out(states: np.ndarray, costs: np.ndarray, n_pieces: int) -> list[np.ndarray]:
    """`states` sorted by cost (look-alike states side by side, so that each trie pass of
    `LANES` states shares its reads), dealt out in passes to `n_pieces` pieces of about equal
    cost, costliest pieces first (the pool starts them first)."""
    order = states[np.argsort(-costs, kind="stable")]
    n_passes = -(-order.shape[0] // LANES)
    n_pieces = min(n_pieces, n_passes)
    passes = [order[i * LANES : (i + 1) * LANES] for i in range(n_passes)]
    return [np.ascontiguousarray(np.concatenate(passes[p::n_pieces])) for p in range(n_pieces)]


def _executor(threads: int) -> ThreadPoolExecutor:
    """A pool of `threads` workers, made once per process (a forked child makes its own: the
    parent's worker threads do not exist there)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid() or _pool[1] != threads:
            if _pool is not None and _pool[0] == os.getpid():
                _pool[2].shutdown(wait=False)
            _pool = (os.getpid(), threads, ThreadPoolExecutor(threads, thread_name_prefix="automaton-walk"))
        return _pool[2]
