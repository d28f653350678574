"""Random patterns over random small vocabularies: every step of random walks against brute force.

Patterns come from the grammar of regex pieces in `tests.automaton.dfa.test_properties`
(literals ASCII and not, classes and negations, groups, alternation, quantifiers, flags).
Vocabularies hold all 256 single bytes (so every UTF-8 string can be spelled and "a token is
allowed" means exactly "the text can still become a full match") plus random tokens: random
bytes and random slices of the UTF-8 of non-ASCII characters, so tokens that start, continue
or end mid-character are common. Ids are shuffled; some ids are excluded; logits may be wider.

Walks: one random walk (up to 5 tokens, drawn among the allowed ones) and one along a text
known to match (the grammar builds it beside the pattern), spelled with single-byte tokens;
it must end in an accepting state. At every state of a walk, every token id is checked:
- text + token is complete UTF-8: allowed iff it can still become a full match, asked of
  `regex.fullmatch(..., partial=True)` with the ASCII flag (`tests.reliability.oracle`, which
  guards against two bugs of `regex`; tokens where its two modes disagree are counted, not checked);
- text + token ends inside a character: when allowed, the complete part must still be a
  partial match (whether some completion exists is not brute-forced);
- text + token is invalid UTF-8: never allowed;
- EOS ids and `is_accepting`: exactly when the text decodes and `re.fullmatch`es; excluded ids
  and columns past the tokenizer: never; every token not allowed leads nowhere (`next_state` -1).

Patterns per run: 100 by default, 3000 with AUTOMATON_LONG_TESTS=1. The counts are written
to the terminal when the module ends.
"""
from __future__ import annotations

import codecs
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automaton
from tests.automaton.dfa.test_properties import CHARS, patterns_with_matches
from tests.reliability.oracle import PartialOracle

LONG = os.environ.get("AUTOMATON_LONG_TESTS") == "1"
EXAMPLES = 3000 if LONG else 100
MAX_WALK_STEPS = 5

_PIECES = sorted({char.encode("utf-8") for char in CHARS} | {"ω".encode(), "本".encode(), "🙂".encode()})

counts = {"patterns": 0, "walks": 0, "states": 0, "exact": 0, "mid_character": 0, "invalid_utf8": 0,
          "oracle_disagreement": 0}


@st.composite
def token_slices(draw) -> bytes:
    """A random slice of the UTF-8 of one to three characters (often a partial character)."""
    text = b"".join(draw(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=3)))
    start = draw(st.integers(0, len(text) - 1))
    end = draw(st.integers(start + 1, min(len(text), start + 4)))
    return text[start:end]


@st.composite
def vocabularies(draw):
    """(token_bytes list with None for EOS / excluded ids, EOS ids, logits width)."""
    extra = draw(st.lists(token_slices() | st.binary(min_size=1, max_size=3), min_size=0, max_size=24))
    tokens: list[bytes | None] = [bytes([b]) for b in range(256)] + extra
    tokens += [None] * draw(st.integers(1, 3))  # EOS ids and excluded ids have no bytes
    tokens = draw(st.permutations(tokens))
    empty = [i for i, data in enumerate(tokens) if data is None]
    eos = draw(st.lists(st.sampled_from(empty), min_size=1, max_size=len(empty), unique=True))
    width = len(tokens) + draw(st.integers(0, 40))
    return tokens, eos, width


def _split_utf8(data: bytes) -> tuple[str | None, bool]:
    """(decoded complete part, ends mid-character); (None, False) when not valid UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        head = decoder.decode(data, final=False)
    except UnicodeDecodeError:
        return None, False
    return head, bool(decoder.getstate()[0])


@pytest.fixture(scope="module", autouse=True)
def report_counts(summary, request):
    yield
    summary.append(
        f"test_index_properties: {counts['patterns']} random patterns over random vocabularies, "
        f"{counts['walks']} walks, {counts['states']} states; tokens checked: {counts['exact']} against "
        f"regex partial match, {counts['mid_character']} ending mid-character (necessary condition only), "
        f"{counts['invalid_utf8']} invalid UTF-8 refused, {counts['oracle_disagreement']} skipped "
        "(the two regex modes disagree)"
    )
    ran = any(item.name == "test_random_walks_agree_with_brute_force" for item in request.session.items)
    if ran and not request.session.shouldfail:
        assert counts["patterns"] >= min(EXAMPLES, 50), counts  # the property really ran
        assert counts["mid_character"] > 0 and counts["exact"] > counts["patterns"], counts


def check_state(index, state: int, text: bytes, tokens, eos, width, partial: PartialOracle) -> None:
    """Every token id in state `state`, reached with `text`, against brute force."""
    counts["states"] += 1
    allowed = set(index.allowed_token_ids(state).tolist())
    head, pending = _split_utf8(text)
    assert head is not None, f"a walk reached invalid UTF-8 {text!r}"
    matched = not pending and partial.full.fullmatch(head) is not None
    assert index.is_accepting(state) == matched, text
    for token_id in range(width):
        data = tokens[token_id] if token_id < len(tokens) else None
        if data is None:
            expected = matched and token_id in eos
            assert (token_id in allowed) == expected, (text, token_id, "eos" if token_id in eos else "excluded")
            continue
        following, following_pending = _split_utf8(text + data)
        if following is None:
            counts["invalid_utf8"] += 1
            assert token_id not in allowed, (text, data, "invalid UTF-8 allowed")
        elif following_pending:
            counts["mid_character"] += 1
            if token_id in allowed:
                assert partial(following) is not False, (text, data)
        else:
            expected = partial(following)
            if expected is None:
                counts["oracle_disagreement"] += 1
            else:
                counts["exact"] += 1
                assert (token_id in allowed) == expected, (text, data, expected)
        if token_id not in allowed:
            assert index.next_state(state, token_id) == -1, (text, token_id)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(pattern_and_match=patterns_with_matches, vocabulary=vocabularies(), data=st.data())
def test_random_walks_agree_with_brute_force(pattern_and_match, vocabulary, data):
    pattern, match = pattern_and_match
    tokens, eos, width = vocabulary
    vocab = automaton.Vocabulary.from_token_bytes(tokens, eos_token_ids=eos, logits_width=width)
    index = automaton.compile_index(pattern, vocab, cache=False)
    partial = PartialOracle(pattern)
    eos = set(eos)
    counts["patterns"] += 1

    counts["walks"] += 1
    state, text = index.initial_state, b""
    for _step in range(MAX_WALK_STEPS):
        check_state(index, state, text, tokens, eos, width, partial)
        choices = sorted(set(index.allowed_token_ids(state).tolist()) - eos)
        if not choices:
            break
        token_id = data.draw(st.sampled_from(choices), label="token")
        state = index.next_state(state, token_id)
        assert state >= 0, (pattern, text, token_id)
        text += tokens[token_id]
    check_state(index, state, text, tokens, eos, width, partial)
    if index.is_accepting(state):
        assert partial.full.fullmatch(text.decode("utf-8")), (pattern, text)  # a finished walk is whole UTF-8

    if partial.full.fullmatch(match) is None:
        return  # not a match after all: the grammar's own test (checked with `re`) reports that
    counts["walks"] += 1
    single = {data: token_id for token_id, data in enumerate(tokens) if data is not None and len(data) == 1}
    state, text = index.initial_state, b""
    for byte in match.encode("utf-8"):
        check_state(index, state, text, tokens, eos, width, partial)
        state = index.next_state(state, single[bytes([byte])])
        assert state >= 0, (pattern, match, text, bytes([byte]))
        text += bytes([byte])
    check_state(index, state, text, tokens, eos, width, partial)
    assert index.is_accepting(state), (pattern, match)
