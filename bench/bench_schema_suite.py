r"""Coverage of the official JSON-Schema-Test-Suite (2020-12 core files, vendored in
tests/data/json-schema-test-suite), per keyword file: ours beside the peers that are installed
(llguidance 1.9.1, xgrammar 0.2.8: the `bench` extra).

    .venv/bin/python -m bench.bench_schema_suite [--engines ours llguidance xgrammar] [--no-write]

For every group (one schema, its valid and invalid instances) and engine: does the schema
compile, and which instances does the compiled constraint accept as a whole text? Ours:
`automaton.compile_dfa(schema=..., layout="spaced", max_states=20000, resources=...)` with the
suite's remote documents (`tests/data/json-schema-test-suite/remotes`, at the URIs the suite
serves them from) as `resources`, an instance accepted when the DFA matches its `json.dumps`
spelling. The peers take no registry of documents (llguidance and xgrammar fetch nothing and
have no option to pass one), so their remote references stay unresolved. The peers: the instance tokenized by the
engine's own tokenizer (Mistral v1) and consumed token by token, accepted when the grammar may
stop there; both `json.dumps` spellings are tried (spaced and compact, since the peers' JSON
allows free whitespace) and either counts. A valid instance counts once, whatever its group;
an instance of a group that does not compile is not accepted.

Per file: groups compiled, valid instances accepted of all valid ones, invalid instances
accepted (unsound acceptances: 0 is the only sound figure). The "## JSON-Schema-Test-Suite
coverage" section of bench/RESULTS.md is rewritten unless `--no-write`.
"""
from __future__ import annotations

import argparse
import json
import warnings
from collections import defaultdict
from pathlib import Path

import automaton
from automaton.errors import AutomatonError
from bench.report import command_line, machine_line, table, write_section
from bench.vocabularies import load_tokenizer
from tests.automaton.json_schema.suite_files import remote_documents

SECTION = "## JSON-Schema-Test-Suite coverage"
MODULE = "bench.bench_schema_suite"
SUITE_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "json-schema-test-suite" / "draft2020-12"
ENGINES = ("ours", "llguidance", "xgrammar")


def spellings(data) -> list[str]:
    """The instance as `json.dumps` writes it, spaced then compact (one entry when equal)."""
    spaced = json.dumps(data, ensure_ascii=False)
    compact = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return [spaced] if spaced == compact else [spaced, compact]


def _ours():
    resources = remote_documents()

    def compile_group(schema):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dfa = automaton.compile_dfa(schema=schema, layout="spaced", max_states=20000, resources=resources)
        return lambda data: dfa.matches(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    return compile_group


def _llguidance(tokenizer):
    import llguidance
    import llguidance.hf

    info = llguidance.hf.from_tokenizer(tokenizer)

    def compile_group(schema):
        matcher = llguidance.LLMatcher(info, llguidance.LLMatcher.grammar_from_json_schema(schema), log_level=0)
        if matcher.is_error():
            raise ValueError(matcher.get_error())

        def accepts(data) -> bool:
            for text in spellings(data):
                matcher.reset()
                tokens = info.tokenize_str(text)
                if matcher.validate_tokens(tokens) == len(tokens) and matcher.consume_tokens(tokens) \
                        and matcher.is_accepting():
                    return True
            return False
        return accepts
    return compile_group


def _xgrammar(tokenizer):
    import xgrammar

    info = xgrammar.TokenizerInfo.from_huggingface(tokenizer)
    compiler = xgrammar.GrammarCompiler(info, max_threads=1, cache_enabled=False)

    def compile_group(schema):
        compiled = compiler.compile_json_schema(json.dumps(schema))

        def accepts(data) -> bool:
            for text in spellings(data):
                matcher = xgrammar.GrammarMatcher(compiled)
                if matcher.accept_string(text) and matcher.is_completed():
                    return True
            return False
        return accepts
    return compile_group


def coverage(compile_group, groups) -> dict:
    """{"groups", "compiled", "valid", "valid_accepted", "invalid", "invalid_accepted"} over `groups`."""
    counts = defaultdict(int)
    for group in groups:
        counts["groups"] += 1
        valid = [case["data"] for case in group["tests"] if case["valid"]]
        invalid = [case["data"] for case in group["tests"] if not case["valid"]]
        counts["valid"] += len(valid)
        counts["invalid"] += len(invalid)
        try:
            accepts = compile_group(group["schema"])
        except (AutomatonError, ValueError, RuntimeError):
            continue
        counts["compiled"] += 1
        counts["valid_accepted"] += sum(map(accepts, valid))
        counts["invalid_accepted"] += sum(map(accepts, invalid))
    return counts


def _cells(counts: dict) -> list[str]:
    return [f"{counts['compiled']}/{counts['groups']}", f"{counts['valid_accepted']}/{counts['valid']}",
            str(counts["invalid_accepted"])]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    tokenizer = load_tokenizer("Mistral v1") if set(args.engines) - {"ours"} else None
    engines, notes = {}, []
    makers = {"ours": _ours, "llguidance": lambda: _llguidance(tokenizer), "xgrammar": lambda: _xgrammar(tokenizer)}
    for name in args.engines:
        try:
            engines[name] = makers[name]()
        except ImportError as error:
            notes.append(f"{name} is not installed ({error}); left out.")

    files = sorted(SUITE_DIR.glob("*.json"))
    if not files:
        raise SystemExit(f"the vendored test suite is missing from {SUITE_DIR}")
    totals = {name: defaultdict(int) for name in engines}
    rows = []
    for path in files:
        groups = json.loads(path.read_text(encoding="utf-8"))
        row = [path.stem]
        for name, compile_group in engines.items():
            counts = coverage(compile_group, groups)
            for key, value in counts.items():
                totals[name][key] += value
            row += _cells(counts)
        print(" | ".join(row), flush=True)
        rows.append(row)
    rows.append(["**all**"] + [cell for name in engines for cell in _cells(totals[name])])
    header = ["file"] + [f"{name} {what}" for name in engines for what in ("groups", "valid accepted", "invalid acc.")]
    body = "\n".join([
        command_line(MODULE, argv if argv is not None else []),
        "",
        machine_line(["llguidance", "xgrammar"]),
        "",
        "Groups compiled of all; valid instances accepted of all valid ones (those of groups not compiled "
        "count as not accepted); invalid instances accepted (unsound). Ours in the spaced layout; the peers "
        "with their defaults, an instance accepted in either `json.dumps` spelling.",
        "",
        table(header, rows, right_from=1),
        *(["", *notes] if notes else []),
    ])
    print(body)
    if not args.no_write:
        write_section(SECTION, body)


if __name__ == "__main__":
    main()
