"""The pieces of minimisation against plain statements of what they compute: the edge runs
grouped by target (`automaton.kernels.minimize.runs_by_target`), the merge of byte classes with equal columns
(`_hopcroft.merge_columns`) and the whole minimal DFA (`_hopcroft.minimal_table`)."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from automaton.kernels import minimize as _hopcroft


@st.composite
def complete_tables(draw):
    """int32[n_states, n_classes] with every entry a state, few distinct targets (long runs)."""
    n_states = draw(st.integers(1, 8))
    n_classes = draw(st.integers(1, 10))
    cells = draw(st.lists(st.integers(0, min(n_states - 1, 3)), min_size=n_states * n_classes,
                          max_size=n_states * n_classes))
    return np.array(cells, dtype=np.int32).reshape(n_states, n_classes)


def runs_by_definition(table):
    """[(target, source, lo, hi)] for every maximal run of one target in a row, target 0 left out,
    sorted by target, then source, then lo."""
    runs = []
    for source, row in enumerate(table.tolist()):
        lo = 0
        for cls in range(1, len(row) + 1):
            if cls == len(row) or row[cls] != row[lo]:
                if row[lo] != 0:
                    runs.append((row[lo], source, lo, cls - 1))
                lo = cls
    return sorted(runs)


@settings(max_examples=300, deadline=None)
@given(complete_tables())
def test_runs_by_target_lists_every_run_grouped_by_target(table):
    sources, lo, hi, bounds = _hopcroft.runs_by_target(table)
    assert bounds.shape[0] == table.shape[0] + 1 and bounds[0] == 0 and bounds[-1] == sources.shape[0]
    got = [
        (target, int(sources[i]), int(lo[i]), int(hi[i]))
        for target in range(table.shape[0])
        for i in range(bounds[target], bounds[target + 1])
    ]
    assert got == runs_by_definition(table)


@settings(max_examples=300, deadline=None)
@given(complete_tables(), st.data())
def test_merged_byte_classes_keep_one_class_per_distinct_column(table, data):
    n_classes = table.shape[1]
    # every class holds at least one byte; the rest of the bytes are spread at random
    spread = data.draw(st.lists(st.integers(0, n_classes - 1), min_size=256 - n_classes, max_size=256 - n_classes))
    byte_classes = np.array(list(range(n_classes)) + spread, dtype=np.uint8)
    byte_classes = byte_classes[np.random.default_rng(len(spread)).permutation(256)]
    merged_table, merged = _hopcroft.merge_columns(table, byte_classes)
    # each byte keeps its column; bytes share a class exactly when their columns are equal
    assert np.array_equal(merged_table[:, merged], table[:, byte_classes])
    columns = [table[:, c].tobytes() for c in byte_classes.tolist()]
    for a in range(0, 256, 7):
        for b in range(256):
            assert (merged[a] == merged[b]) == (columns[a] == columns[b])
    # classes numbered by their lowest byte
    lowest = [int(np.flatnonzero(merged == c)[0]) for c in range(merged_table.shape[1])]
    assert lowest == sorted(lowest)


def moore_blocks(table, accepting, initial):
    """Naive Moore refinement over the states reachable from `initial`, non-live ones merged
    with the dead state 0: the number of states a minimal DFA has (dead state included)."""
    n_states, _n_classes = table.shape
    reached, frontier = {0, initial}, [initial]
    while frontier:
        state = frontier.pop()
        for target in table[state].tolist():
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    live = {s for s in range(n_states) if accepting[s]}
    changed = True
    while changed:
        before = len(live)
        live |= {s for s in range(n_states) if any(t in live for t in table[s].tolist())}
        changed = len(live) != before
    block = {s: (accepting[s] if s in live else None) for s in reached}
    while True:
        signature = {s: (block[s], tuple(block[t] for t in table[s].tolist())) for s in reached}
        ids = {sig: i for i, sig in enumerate(sorted(set(signature.values()), key=repr))}
        refined = {s: ids[signature[s]] for s in reached}
        if len(set(refined.values())) == len(set(block.values())):
            return len(set(refined.values())), block
        block = refined


@settings(max_examples=300, deadline=None)
@given(complete_tables(), st.data())
def test_minimal_table_has_the_fewest_states_and_the_same_language(table, data):
    table[0] = 0  # state 0 is the dead state
    n_states = table.shape[0]
    accepting = np.array(data.draw(st.lists(st.booleans(), min_size=n_states, max_size=n_states)), dtype=np.bool_)
    accepting[0] = False
    initial = data.draw(st.integers(0, n_states - 1))
    classes = np.arange(256, dtype=np.uint8) % table.shape[1]
    minimal, minimal_accepting, minimal_initial, merged = _hopcroft.minimal_table(table, accepting, initial, classes)
    minimal = minimal[:, merged[: table.shape[1]]]  # back to the original classes, for the words below
    expected_states, _ = moore_blocks(table, accepting, initial)

    def accepts(tbl, acc, start, word):
        state = start
        for cls in word:
            state = tbl[state, cls]
        return bool(acc[state])

    words = [()]
    for _ in range(3):  # every word of up to 3 classes
        words += [w + (c,) for w in words if len(w) == len(words[-1]) for c in range(table.shape[1])]
    same = [
        accepts(table, accepting, initial, w) == accepts(minimal, minimal_accepting, minimal_initial, w)
        for w in words
    ]
    assert all(same)
    if minimal_initial == 0:
        assert minimal.shape[0] == 1 and not any(accepts(table, accepting, initial, w) for w in words)
    else:
        assert minimal.shape[0] == expected_states
        assert not minimal_accepting[0] and (minimal[0] == 0).all()
