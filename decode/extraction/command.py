"""The `extract` subcommand of `python -m decode`: a prompt file in, a JSONL result file out.

    python -m decode extract --input prompts.jsonl --output results.jsonl \\
        (--pattern P | --pattern-file F | --schema schema.json | --index FILE | --pattern-field NAME
         | --schema-field NAME) \\
        [--model default|PATH] [--batch-size N] [--max-new-tokens N] [--field prompt] [--id-field id] \\
        [--engine local|ray|vllm] [--workers N] [--ray-address ADDRESS] [--ray-backend local|vllm]
        [--temperature T] [--top-p P] [--seed N]
        [--max-states N] [--keep-fields a,b] [--chat-template | --no-chat-template] [--stop-when-matched]

Takes the command line's arguments; gives an exit status, after `decode.extraction.run.extract_file`
has written the result file and the summary is printed. Parsing imports nothing heavy (no torch,
no Ray): `add_extract_arguments(subparsers)` registers the subcommand; `run_extract(arguments)`
runs it and returns the exit status: 0 when the run went through the whole input and the output
holds no failed line; 1 when it went through but the output holds failed lines (bad input lines,
empty prompts: this run's or an earlier run's; the summary says how many); 2 on an error in the
options, the target or the files (nothing loaded, the output untouched: a mismatching resume
included); 130 when interrupted (rerun the same command to resume).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from automaton.json_schema.layout import layout_option

__all__ = ["add_extract_arguments", "run_extract"]


def add_extract_arguments(subparsers) -> argparse.ArgumentParser:
    """Add the `extract` subcommand to an argparse subparsers object; returns its parser."""
    parser = subparsers.add_parser(
        "extract",
        help="run one pattern or JSON schema over a file of prompts, one JSON result line per prompt",
        description=(
            "Generate, for every prompt of --input, an output that fully matches the pattern (or JSON "
            "schema) and write one JSON line per prompt to --output. Rerunning with the same --output "
            "skips the prompts already written."
        ),
    )
    add = parser.add_argument
    add("--input", required=True, type=Path, help="prompts: JSON Lines (.jsonl) or plain text, one a line")
    add("--output", required=True, type=Path, help="JSONL result file (appended to; resumed when it exists)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--pattern", help="regular expression the outputs must fully match")
    target.add_argument("--pattern-file", type=Path,
                        help="file holding the regular expression (UTF-8; one trailing line break is ignored)")
    target.add_argument("--schema", type=Path, help="JSON schema file; results get the parsed value")
    target.add_argument("--index", type=Path, help="precompiled index file (automaton index format)")
    target.add_argument("--pattern-field", help="JSON input: each line's own pattern is in this field")
    target.add_argument("--schema-field", help="JSON input: each line's own JSON schema is in this field")
    add("--layout", default="spaced", type=layout_option,
        help="with --schema: 'spaced' (json.dumps's ', ' and ': ', the default), 'compact', or an indent N")
    add("--model", default="default", help="'default' (embedded SmolLM2-135M-Instruct) or a local model folder")
    add("--device", default=None, help="torch device for the model (default cpu)")
    add("--batch-size", type=int, default=8, help="prompts per generation batch (default 8)")
    add("--max-new-tokens", type=int, default=256, help="generation limit per prompt (default 256)")
    add("--field", default="prompt", help="JSONL field holding the prompt (default 'prompt')")
    add("--id-field", default="id", help="JSONL field holding the id (default 'id'; else the line number)")
    add("--input-format", choices=("auto", "jsonl", "json", "text"), default="auto",
        help="auto: .jsonl/.ndjson/.json files are a JSON array when they start with '[', else JSON Lines; "
             "other files plain text. json: one JSON array of prompts (strings or objects)")
    add("--engine", choices=("local", "ray", "vllm"), default="local",
        help="local process, Ray Data or a vLLM engine (default local)")
    add("--workers", type=int, default=2, help="Ray workers, one model each (default 2)")
    add("--ray-address", default=None,
        help="address of an existing Ray cluster ('auto', 'ray://host:10001'); default: start a local one")
    add("--ray-backend", choices=("local", "vllm"), default="local",
        help="what each Ray worker runs: the local engine (default), or a vLLM engine (one GPU per worker "
             "where the cluster has GPUs, else one CPU; also takes --pattern-field / --schema-field)")
    add("--temperature", type=float, default=None, help="sample with this temperature (default: greedy)")
    add("--top-p", type=float, default=None, help="sample from the top-p nucleus (default: greedy)")
    add("--seed", type=int, default=None, help="random seed of the sampling (reproducible runs)")
    add("--max-states", type=int, default=None, help="limit of the pattern's DFA states (default 100,000)")
    add("--keep-fields", default="", help="input fields copied into each result record, comma-separated (a,b)")
    template = parser.add_mutually_exclusive_group()
    template.add_argument("--chat-template", dest="chat_template", action="store_const", const=True, default="auto",
                          help="send each prompt through the tokenizer's chat template as one user message "
                               "(default: when the tokenizer has one)")
    template.add_argument("--no-chat-template", dest="chat_template", action="store_const", const=False,
                          help="send the prompts as they are")
    add("--stop-when-matched", action="store_true", help="end each output at its first full match")
    add("--no-jump-forward", action="store_true", help="sample every token, also where the pattern forces the text")
    add("--no-progress", action="store_true", help="no progress bar")
    return parser


def _target_of(arguments) -> dict:
    if arguments.pattern_field is not None:
        return {"pattern_field": arguments.pattern_field}
    if arguments.schema_field is not None:
        return {"schema_field": arguments.schema_field, "layout": arguments.layout}
    if arguments.pattern is not None:
        return {"pattern": arguments.pattern}
    if arguments.pattern_file is not None:
        text = arguments.pattern_file.read_bytes().decode("utf-8")
        return {"pattern": text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")}
    if arguments.schema is not None:
        from decode.extraction.core import read_schema_file

        return {"schema": read_schema_file(arguments.schema), "layout": arguments.layout}
    return {"index": arguments.index}


# Options handed to `extract_file` under their own names.
_PASSED_AS_IS = ("model", "device", "batch_size", "max_new_tokens", "field", "id_field", "input_format", "engine",
                 "workers", "ray_address", "ray_backend", "temperature", "top_p", "seed", "max_states", "keep_fields",
                 "chat_template", "stop_when_matched")


def run_extract(arguments) -> int:
    """Run the `extract` subcommand with parsed `arguments`; prints the summary; returns the exit status."""
    from automaton.errors import AutomatonError
    from decode.extraction.run import extract_file

    try:
        summary = extract_file(
            arguments.input,
            arguments.output,
            **_target_of(arguments),
            **{name: getattr(arguments, name) for name in _PASSED_AS_IS},
            progress=not arguments.no_progress,
            jump_forward=False if arguments.no_jump_forward else None,
        )
    except KeyboardInterrupt:
        print(f"\ninterrupted: the lines written so far are in {arguments.output}; "
              "rerun the same command to resume", file=sys.stderr)
        return 130
    except (AutomatonError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in summary.lines():
        print(line)
    return summary.exit_status
