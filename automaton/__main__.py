"""Command line: compile a pattern into an index file, inspect an index file, manage the cache.

    python -m automaton [-v] compile PATTERN --tokenizer FOLDER|default [-o FILE] [--max-states N] [--no-cache]
    python -m automaton compile (--pattern-file F | --schema SCHEMA.json [--layout spaced|compact|N])
                       --tokenizer FOLDER|default -o FILE
    python -m automaton inspect FILE
    python -m automaton cache info | clear | prune --max-size SIZE   [--folder FOLDER]
    python -m automaton build-kernels [--force]

`compile` reads the tokenizer from a local folder (`Vocabulary.from_pretrained`), or with
`--tokenizer default` the embedded SmolLM2 model's (the vocabulary `python -m decode ... --model
default` uses, EOS ids and logits width included: `automaton.vocabulary.default_model`). It
shows the stage and elapsed time while it builds (on a terminal), and prints a summary (states,
rows, sizes, time). The index goes to the cache (unless --no-cache) and to FILE when -o is
given. `inspect` checks a file completely and prints its header (the vocabulary's size, EOS ids
and family included) and array sizes. `cache` reports on, empties or shrinks the index cache
folder (`automaton.cache`). `build-kernels` compiles the index build's kernels ahead of time
(`automaton.kernels.aot`), which saves each new process about half a second of numba start-up
before its first compile. Third-party warnings and progress output are hidden unless -v. Bad
input ends with one error line on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

from automaton.errors import AutomatonError
from automaton.json_schema.layout import layout_option

EXIT_BAD_INPUT = 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            if not args.verbose:
                _hide_third_party_warnings()
            return args.run(args, parser)
    except AutomatonError as error:
        print(f"automaton: error: {error}", file=sys.stderr)
    except OSError as error:
        where = f" {error.filename}" if error.filename else ""
        print(f"automaton: error:{where} {error.strerror or error}", file=sys.stderr)
    except KeyboardInterrupt:
        print("automaton: interrupted", file=sys.stderr)
        return 130
    return EXIT_BAD_INPUT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m automaton", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show third-party warnings and progress (the default model's conversion)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    compile_ = commands.add_parser("compile", help="compile a pattern into a token index")
    compile_.add_argument("pattern", nargs="?", help="regular expression (full match)")
    compile_.add_argument("--pattern-file", type=Path, metavar="F", help="read the pattern from a UTF-8 file")
    compile_.add_argument("--schema", type=Path, metavar="SCHEMA",
                          help="compile a JSON schema file instead of a pattern")
    compile_.add_argument("--layout", default="spaced", type=layout_option, metavar="L",
                          help="with --schema: 'spaced' (json.dumps's ', ' and ': ', the default), 'compact', "
                               "or an indent N (json.dumps's indent=N)")
    compile_.add_argument("--tokenizer", required=True, metavar="FOLDER",
                          help="local tokenizer folder, or 'default': the embedded SmolLM2 model's vocabulary")
    compile_.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the index to FILE")
    compile_.add_argument("--max-states", type=int, metavar="N", help="limit on DFA and index states")
    compile_.add_argument("--no-cache", action="store_true", help="neither read nor write the index cache")
    compile_.set_defaults(run=_compile)

    inspect = commands.add_parser("inspect", help="check an index file and print its header and sizes")
    inspect.add_argument("file", type=Path)
    inspect.set_defaults(run=_inspect)

    cache = commands.add_parser("cache", help="show, empty or shrink the index cache folder")
    cache_commands = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    for name, text in (("info", "folder, number of index files, total size, size limit"),
                       ("clear", "delete every index file in the folder"),
                       ("prune", "delete least recently used index files down to --max-size")):
        action = cache_commands.add_parser(name, help=text)
        action.add_argument("--folder", type=Path, help="cache folder (default: the one compile_index uses)")
        if name == "prune":
            action.add_argument("--max-size", required=True, metavar="SIZE", help="e.g. 500M, 2G, 1048576")
        action.set_defaults(run=_cache)

    build = commands.add_parser("build-kernels", help="compile the index build's kernels ahead of time")
    build.add_argument("--force", action="store_true", help="rebuild even when the extension is up to date")
    build.set_defaults(run=_build_kernels)
    return parser


def _compile(args, parser) -> int:
    pattern = _pattern_argument(args, parser)
    if args.max_states is not None and args.max_states < 1:
        parser.error("--max-states must be a positive number")

    import automaton
    from automaton.cache import cache_folder, cache_key, cache_path

    if args.tokenizer == "default":
        from automaton.vocabulary.default_model import default_vocabulary

        vocabulary = default_vocabulary(verbose=args.verbose)
    else:
        vocabulary = automaton.Vocabulary.from_pretrained(Path(args.tokenizer))
    options = {} if args.max_states is None else {"max_states": args.max_states}
    key_text, shown = pattern, _shorten(pattern)
    if args.schema is not None:
        from automaton.json_schema import schema_cache_text

        options.update(schema=pattern, layout=args.layout)
        key_text, shown = schema_cache_text(pattern, args.layout), f"schema {args.schema} (layout {args.layout})"
        pattern = None
    cache = not args.no_cache
    cached_file = cache_path(cache_folder(True), cache_key(key_text, vocabulary.fingerprint)) if cache else None
    was_cached = cached_file is not None and cached_file.is_file()
    started = time.perf_counter()
    progress = sys.stderr.isatty()  # a redrawn line is noise in logs and pipes
    index = automaton.compile_index(pattern, vocabulary, cache=cache, progress=progress, **options)
    elapsed = time.perf_counter() - started
    if args.output is not None:
        index.save(args.output)

    summary = index.summary()
    print(f"pattern      {shown}")
    print(f"vocabulary   {vocabulary.num_tokens} tokens ({vocabulary.family}), EOS ids "
          f"{sorted(vocabulary.eos_token_ids)}, logits width {vocabulary.logits_width}")
    print(f"states       {summary['states']} ({summary['dfa_states']} DFA states)")
    print(f"rows         {summary['rows']} distinct mask rows ({summary['dense_rows']} packed, "
          f"{summary['sparse_rows']} as id lists holding {summary['sparse_ids']} ids)")
    print(f"size         {_size(summary['bytes'])}")
    print(f"time         {elapsed:.3f} s" + (" (from the cache)" if was_cached else ""))
    if cached_file is not None and cached_file.is_file():
        print(f"cache        {cached_file}")
    if args.output is not None:
        print(f"written      {args.output} ({_size(args.output.stat().st_size)})")
    return 0


def _inspect(args, parser) -> int:
    from automaton.compile import load_index
    from automaton.files import read_header

    header = read_header(args.file)
    index = load_index(args.file)
    metadata = dict(header["metadata"])
    print(f"file            {args.file} ({_size(header['file_bytes'])})")
    print(
        f"format          {metadata.pop('format')} version {metadata.pop('format_version')}, "
        f"written by automaton {metadata.pop('library_version', '?')}"
    )
    print(f"pattern         {_shorten(metadata.pop('pattern'))}")
    print(f"vocabulary      {metadata.pop('vocabulary_fingerprint')}")
    print(f"  size          {metadata.pop('vocabulary_size', 'unknown (an older file)')}")
    eos = metadata.pop("vocabulary_eos_ids", None)
    print(f"  EOS ids       {'unknown (an older file)' if eos is None else '[' + eos.replace(',', ', ') + ']'}")
    print(f"  family        {metadata.pop('vocabulary_family', 'unknown')}")
    print(f"logits width    {metadata.pop('logits_width')}")
    print(f"checksum        {metadata.pop('checksum')} (verified)")
    for key, value in sorted(metadata.items()):
        print(f"{key:<15} {_shorten(value)}")
    summary = index.summary()
    print(f"states          {summary['states']} ({summary['dfa_states']} DFA states), {summary['rows']} rows "
          f"({summary['dense_rows']} packed, {summary['sparse_rows']} as id lists)")
    print("arrays")
    for name, array in header["arrays"].items():
        shape = "x".join(str(n) for n in array["shape"]) or "scalar"
        print(f"  {name:<15} {array['dtype']:<6} {shape:<14} {_size(array['bytes'])}")
    return 0


def _cache(args, parser) -> int:
    from automaton import cache

    folder = args.folder if args.folder is not None else cache.cache_folder(True)
    if args.cache_command == "info":
        files = cache.cache_files(folder)
        limit = cache.max_cache_bytes()
        print(f"folder       {folder}{'' if folder.is_dir() else ' (does not exist yet)'}")
        print(f"files        {len(files)} index files")
        print(f"total        {_size(sum(file.size for file in files))}")
        print(f"limit        {'none' if limit is None else _size(limit)} ({cache.CACHE_MAX_BYTES_ENV})")
        return 0
    if args.cache_command == "clear":
        deleted = cache.clear(folder)
    else:
        try:
            max_bytes = cache.parse_size(args.max_size)
        except ValueError as error:
            parser.error(f"--max-size: {error}")
        deleted = cache.prune(folder, max_bytes)
    left = cache.cache_files(folder)
    print(f"deleted {len(deleted)} index files ({_size(sum(file.size for file in deleted))}) from {folder}; "
          f"{len(left)} left ({_size(sum(file.size for file in left))})")
    return 0


def _hide_third_party_warnings() -> None:
    """Warnings other than ours (`CacheWarning`) stay hidden without -v."""
    from automaton.errors import CacheWarning

    warnings.simplefilter("ignore")
    warnings.simplefilter("default", CacheWarning)


def _build_kernels(args, parser) -> int:
    from automaton.kernels.aot import build_native_kernels

    if sys.stderr.isatty():
        print("compiling the kernels ahead of time (about a minute) ...", file=sys.stderr)
    result = build_native_kernels(force=args.force)
    for path in result.removed:
        print(f"removed {path.name} (built from other kernel sources)")
    if result.built:
        print(f"built {result.path} in {result.seconds:.0f} s")
    else:
        print(f"up to date: {result.path}")
    return 0


def _pattern_argument(args, parser) -> str:
    given = [x for x in (args.pattern, args.pattern_file, args.schema) if x is not None]
    if len(given) != 1:
        parser.error("give exactly one of PATTERN, --pattern-file F or --schema SCHEMA")
    if args.pattern is not None:
        return args.pattern
    if args.schema is not None:
        try:
            return args.schema.read_text(encoding="utf-8")  # the schema's JSON text
        except UnicodeDecodeError as error:
            parser.error(f"--schema {args.schema}: not UTF-8 text ({error.reason} at byte {error.start})")
    try:
        text = args.pattern_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        parser.error(f"--pattern-file {args.pattern_file}: not UTF-8 text ({error.reason} at byte {error.start})")
    # One final line ending is how editors end files, not part of the pattern.
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def _shorten(text: str, limit: int = 120) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else f"{shown[: limit - 30]}... ({len(text)} characters)"


def _size(n_bytes: int) -> str:
    if n_bytes < 1024:
        return f"{n_bytes} B"
    if n_bytes < 1024**2:
        return f"{n_bytes / 1024:.1f} KiB"
    if n_bytes < 1024**3:
        return f"{n_bytes / 1024**2:.1f} MiB"
    return f"{n_bytes / 1024**3:.2f} GiB"


if __name__ == "__main__":
    sys.exit(main())
