"""Markdown tables of the token index benchmark (`bench.bench_index`): the body of its section of
bench/RESULTS.md.

    SECTION                 the title of that section
    render(results) -> str  its body, from bench_index's figures
"""
from __future__ import annotations

import statistics

from bench.report import machine_line, mib, ms, ratio, table, us

__all__ = ["SECTION", "render"]

SECTION = "## Token index beside outlines-core, xgrammar and llguidance"
PEER_NAMES = ("outlines-core", "xgrammar", "llguidance")
PACKAGES = ("numba", "numpy", "outlines-core", "xgrammar", "llguidance", "transformers")


def _peer_compile(peer: dict | None) -> str:
    if not peer:
        return "–"
    if "error" in peer:
        if peer.get("timeout"):
            return f"> {peer['timeout']:.0f} s (killed)"
        return f"error: {peer['error'][:60]}"
    return ms(peer["compile_s"]) + (f" ({peer['runs']})" if peer["runs"] > 1 else " (1)")


def _peer_step(peer: dict | None, key: str = "step") -> str:
    if not peer or key not in peer:
        return "–"
    step = peer[key]
    return f"{us(step['p50'])} / {us(step['p99'])} ({step['n']})"


def _cold(engine: dict, key: str = "cold"):
    """Seconds of an engine's first compile in a fresh process after its imports and vocabulary
    set-up (ours: the compile path's imports and the vocabulary's token trie); None when not
    measured, or when our "cold" run found no ahead-of-time kernels (then it measured the JIT
    kernels)."""
    record = engine.get(key) or {}
    if key == "cold" and record.get("kernels", "ahead-of-time") != "ahead-of-time":
        return None
    return record.get("compile_cold_s")


def _bare(engine: dict, key: str = "cold"):
    """Seconds from a bare fresh process to an engine's first index: imports, vocabulary set-up
    (ours: the token trie) and the first compile (records without the split: the first
    compile, which held all)."""
    if _cold(engine, key) is None:
        return None
    record = engine[key]
    return record.get("bare_s", record["compile_cold_s"])


# -- sections ------------------------------------------------------------------------------


def _targets(results: dict) -> str:
    rows = [r for r in results["rows"] if "error" not in r["ours"]]
    lines = []

    def add(target, outcome, met):
        lines.append([target, outcome, "yes" if met else ("no" if met is not None else "–")])

    # (label, outlines-core's time, ours) for each way of timing the compiles; rows lacking a figure are left out
    comparisons = (
        ("compile >= 10x faster than outlines-core, every pattern x vocab (warm)",
         lambda oc: oc.get("compile_s"), lambda ours: ours["compile_warm_s"]),
        ("same, ours cold (first compile in a fresh process, after the imports and vocabulary set-up "
         "that the peers' figures leave out too) against outlines-core warm",
         lambda oc: oc.get("compile_s"), _cold),
        ("same, both cold (each one's first compile in a fresh process, after its imports and vocabulary set-up)",
         _cold, _cold),
        ("same, both from a bare process (imports + vocabulary set-up + first compile; ours with the "
         "ahead-of-time kernels)", _bare, _bare),
        ("same, ours from a bare process with the numba JIT kernels from its disk cache, against "
         "outlines-core from a bare process", _bare, lambda ours: _bare(ours, "cold_jit")),
    )
    for label, theirs_of, ours_of in comparisons:
        ratios, misses = [], []
        for r in rows:
            oc = r["peers"].get("outlines-core", {})
            theirs, ours = theirs_of(oc), ours_of(r["ours"])
            if oc.get("timeout") and ours:
                ratios.append(float("inf"))  # outlines-core ran past its limit on this pattern
            elif theirs and ours:
                ratios.append(theirs / ours)
                if theirs / ours < 10:
                    misses.append(f"{r['pattern']}/{r['vocab']} {theirs / ours:.1f}x")
        if ratios:
            add(label,
                f"min {min(ratios):.1f}x; {len(misses)} of {len(ratios)} below 10x"
                + (f": {', '.join(misses[:8])}{' ...' if len(misses) > 8 else ''}" if misses else ""),
                not misses)
    xgr = [r["peers"]["xgrammar"]["compile_s"] / r["ours"]["compile_warm_s"]
           for r in rows if "compile_s" in r["peers"].get("xgrammar", {})]
    if xgr:
        median = statistics.median(xgr)
        add("compile faster than xgrammar on the median (warm)", f"median xgrammar / ours = {median:.1f}x", median > 1)
    for key, how in (("step", "walks"), ("step_hot", "back to back")):
        steps = [(r["ours"][key], r) for r in rows if r["ours"].get(key, {}).get("n")]
        if not steps:
            continue
        worst50, at50 = max(steps, key=lambda s: s[0]["p50"])
        worst99, at99 = max(steps, key=lambda s: s[0]["p99"])
        add(f"per step p50 <= 2 µs ({how}, worst pattern x vocab)",
            f"{worst50['p50']:.1f} µs ({at50['pattern']}/{at50['vocab']})", worst50["p50"] <= 2)
        add(f"per step p99 <= 10 µs ({how}, worst pattern x vocab)",
            f"{worst99['p99']:.1f} µs ({at99['pattern']}/{at99['vocab']})", worst99["p99"] <= 10)
    for large in results.get("large", []):
        if "load_s" in large:
            add(f"load < 10 ms, {large['states']:,} states x {large['width']:,} ({large['name']}, "
                f"{large['rows']:,} rows, {mib(large['file_bytes'])} MiB file)",
                f"{ms(large['load_s'])} ms", large["load_s"] < 0.010)
            add(f"load >= 100x faster than compiling it ({large['name']})",
                f"{large['compile_s'] / large['load_s']:,.0f}x", large["compile_s"] / large["load_s"] >= 100)
        elif large:
            add(f"load, {large['name']}", large.get("load_error") or large.get("error", "not measured"), None)
    for r in rows:
        if r["pattern"] == "person_schema" and r["vocab"] == "cl100k":
            ours = r["ours"]
            add("person_schema on cl100k <= 4 MB (4,000,000 bytes) in memory (index arrays)",
                f"{ours['nbytes']:,} bytes", ours["nbytes"] <= 4_000_000)
            if "file_bytes" in ours:
                add("person_schema on cl100k <= 4 MB (4,000,000 bytes) on disk", f"{ours['file_bytes']:,} bytes",
                    ours["file_bytes"] <= 4_000_000)
    peaks = [(r["ours"]["cold"]["peak_delta_bytes"], r)
             for r in rows if "peak_delta_bytes" in (r["ours"].get("cold") or {})]
    if peaks:
        peak, where = max(peaks, key=lambda p: p[0])
        add("build peak memory < 1 GiB (worst)", f"{mib(peak)} MiB ({where['pattern']}/{where['vocab']})", peak < 2**30)
    return table(["target", "measured", "met"], lines)


def _compile_table(results: dict) -> str:
    rows = []
    for r in results["rows"]:
        ours, peers = r["ours"], r["peers"]
        if "error" in ours:
            rows.append([r["vocab"], r["pattern"], f"error: {ours['error'][:80]}"] + ["–"] * 7)
            continue
        warm, cold = ours["compile_warm_s"], _cold(ours)
        oc, xg = peers.get("outlines-core", {}).get("compile_s"), peers.get("xgrammar", {}).get("compile_s")
        rows.append([
            r["vocab"], r["pattern"], ms(cold), ms(warm),
            _peer_compile(peers.get("outlines-core")), _peer_compile(peers.get("xgrammar")),
            _peer_compile(peers.get("llguidance")),
            ratio(oc, warm), ratio(oc, cold), ratio(xg, warm),
        ])
    return table(["vocab", "pattern", "ours cold", "ours warm", "outlines-core", "xgrammar", "llguidance (lazy)",
                   "outlines-core ÷ ours warm", "outlines-core ÷ ours cold", "xgrammar ÷ ours warm"], rows)


def _fresh_process_table(results: dict) -> str:
    """Ours and outlines-core each timed in fresh processes: the first compile after the imports
    and vocabulary set-up (cold), and everything from a bare process."""
    rows = []
    for r in results["rows"]:
        ours, oc = r["ours"], r["peers"].get("outlines-core") or {}
        if "error" in ours:
            continue
        failed = (oc.get("cold") or {}).get("error", "")[:40]
        rows.append([
            r["vocab"], r["pattern"], ms(_cold(ours)), failed or ms(_cold(oc)), ratio(_cold(oc), _cold(ours)),
            ms(_bare(ours)), ms(_bare(ours, "cold_jit")), failed or ms(_bare(oc)), ratio(_bare(oc), _bare(ours)),
        ])
    return table(["vocab", "pattern", "ours cold", "outlines-core cold", "outlines-core ÷ ours, both cold",
                   "ours bare process", "ours bare process (JIT)", "outlines-core bare process",
                   "outlines-core ÷ ours, both bare"], rows)


def _step_table(results: dict, key: str) -> str:
    rows = []
    for r in results["rows"]:
        ours = r["ours"]
        rows.append([r["vocab"], r["pattern"], _peer_step(ours, key)]
                    + [_peer_step(r["peers"].get(n), key) for n in PEER_NAMES])
    return table(["vocab", "pattern", "ours", *PEER_NAMES], rows)


def _storage_table(results: dict) -> str:
    rows = []
    for r in results["rows"]:
        ours = r["ours"]
        if "error" in ours:
            continue
        cold = ours.get("cold") or {}
        load = ours.get("load_s")
        rows.append([
            r["vocab"], r["pattern"], f"{ours['states']:,}", _rows(ours), f"{ours['rows'] / ours['states']:.2f}",
            _row_bytes(ours), mib(ours["nbytes"]), f"{ours['nbytes'] / ours['states'] / 1024:,.1f}",
            mib(ours.get("file_bytes")), ms(load) if load else ours.get("load_error", "–")[:60],
            ms(ours.get("load_first_step_s")), ratio(ours["compile_warm_s"], load), ratio(_cold(ours), load),
            mib(cold.get("peak_delta_bytes")),
        ])
    return table(["vocab", "pattern", "states", "rows (sparse)", "rows / states", "packed / sparse rows MiB",
                  "index MiB", "KiB / state", "file MiB",
                   "load ms", "load + first step ms", "warm compile ÷ load", "cold compile ÷ load",
                   "build peak MiB"], rows)


def _rows(record: dict) -> str:
    """Distinct rows, with how many are id lists (records written before those existed: rows only)."""
    if "sparse_rows" not in record:
        return f"{record['rows']:,}"
    return f"{record['rows']:,} ({record['sparse_rows']:,})"


def _row_bytes(record: dict) -> str:
    if "dense_bytes" not in record:
        return "–"
    return f"{mib(record['dense_bytes'])} / {mib(record['sparse_bytes'])}"


def _large_table(results: dict) -> str:
    rows = []
    for large in results.get("large", []):
        if "error" in large:
            rows.append([large["name"], f"error: {large['error'][:80]}"] + ["–"] * 7)
            continue
        rows.append([
            large["name"], f"{large['states']:,} x {large['width']:,}", _rows(large), mib(large["nbytes"]),
            mib(large.get("file_bytes")), ms(large["compile_s"]),
            ms(large["load_s"]) if "load_s" in large else large.get("load_error", "–")[:60],
            ms(large.get("load_first_step_s")), ratio(large["compile_s"], large.get("load_s")),
        ])
    return table(["index", "states x width", "rows (sparse)", "index MiB", "file MiB", "compile ms (warm)", "load ms",
                   "load + first step ms", "compile ÷ load"], rows)


def _agreement_table(results: dict) -> str:
    rows = []
    for r in results["rows"]:
        cells = []
        for name in PEER_NAMES:
            peer = r["peers"].get(name)
            if not peer or "start_only_peer" not in peer:
                cells.append("–")
                continue
            cell = f"+{peer['start_only_peer']} / -{peer['start_only_ours']}"
            if peer["refusals"]:
                cell += f"; refused {peer['refusals']} own token(s)"
            cells.append(cell)
        if any(cell not in ("+0 / -0", "–") for cell in cells):
            rows.append([r["vocab"], r["pattern"], *cells])
    if not rows:
        return "Every peer's first mask equals ours on every pattern x vocabulary, and no walk was refused."
    return ("Start masks that differ from ours (+tokens only the peer allows / -tokens only ours allows), "
            "and tokens a peer refused although its own mask allowed them; rows not shown agree exactly.\n\n"
            + table(["vocab", "pattern", *PEER_NAMES], rows))


def _setup_table(results: dict) -> str:
    """Per tokenizer: the peers' vocabulary objects, and ours: the token trie (built once per
    vocabulary and process, median over the cold children) and the compile path's imports."""
    rows = []
    for vocab, setup in results["setup"].items():
        colds = [r["ours"]["cold"] for r in results["rows"]
                 if r["vocab"] == vocab and "trie_s" in (r["ours"].get("cold") or {})]
        trie = statistics.median(c["trie_s"] for c in colds) if colds else None
        imports = statistics.median(c["import_s"] for c in colds) if colds else None
        rows.append([vocab, ms(trie), ms(imports)]
                    + [(ms(setup[n]) if isinstance(setup.get(n), float) else str(setup.get(n, "–"))[:60])
                       for n in PEER_NAMES])
    return table(["vocab", "ours token trie ms", "ours imports ms", *(f"{n} vocabulary ms" for n in PEER_NAMES)], rows)


def render(results: dict) -> str:
    settings = results["settings"]
    parts = [
        f"Command (from the repository root): {results['command']}",
        "",
        f"{machine_line(PACKAGES)}. The cores are shared with other work, so single timings are noisy: "
        f"figures are medians, read the ratios. Whole run: {results['wall_s'] / 60:.1f} min.",
        "",
        "How: compile = median over repeats after one untimed compile of the same pattern, up to "
        f"{settings['warm_max']} repeats within {settings['warm_budget']:.0f} s for ours and up to "
        f"{settings['peer_max']} within {settings['peer_budget']:.0f} s for each peer (count in brackets "
        "for peers), so that sub-millisecond builds are timed once warm; ours cold = first "
        "`compile_index(..., cache=False)` in a fresh process with the ahead-of-time kernels "
        "(`python -m automaton build-kernels`, numba not imported), after importing the compile "
        "path and building the vocabulary's token trie (once per vocabulary and process), as the "
        "peers' figures come after their import and vocabulary set-up (both in the last table); "
        "ours bare process = those imports + the trie + that first compile; ours bare process "
        "(JIT) the same with the numba JIT kernels (`AUTOMATON_KERNELS=jit`, numba's on-disk "
        "cache warm); all with Python's bytecode caches written (as an installed package has them); "
        "ours warm = later builds in one process (the vocabulary's token trie is reused); builds "
        "with enough work walk on both cores (`automaton.index.threads`), as xgrammar's compiler uses "
        f"its threads; outlines-core `Index` (in a forked child, killed past {settings['outlines_timeout']:.0f} s; "
        "its cold and bare-process figures come from fresh processes, as ours); xgrammar "
        "`compile_regex` (cache off); llguidance builds lazily, so its figure is only the matcher's "
        "construction and its work shows up in the steps. Per step = advance one token + get the "
        "next packed mask, batch 1, along random walks through each engine's own allowed tokens "
        f"(ours: up to {settings['ours_walks']} walks x {settings['ours_steps']} steps; peers: up to "
        f"{settings['peer_walks']} x {settings['peer_steps']}, capped at {settings['peer_cap']:.0f} s); "
        "p50 / p99 in µs (steps). Build peak = peak resident memory of the cold build above the "
        "process's memory before it.",
        "",
        "### Targets",
        "",
        _targets(results),
        "",
        "### Compile time, ms",
        "",
        _compile_table(results),
        "",
        "### First compile in a fresh process, ms",
        "",
        "Cold = an engine's first compile after its imports and vocabulary set-up; bare process = "
        "the imports + the vocabulary set-up (ours: the token trie; outlines-core: its `Vocabulary` "
        "from the token bytes) + that first compile. Each figure is one fresh process.",
        "",
        _fresh_process_table(results),
        "",
        "### Per step (advance + mask), µs p50 / p99 (steps measured)",
        "",
        "Along the walks: between two timed steps the benchmark unpacks the mask and draws the next "
        "token (it touches about V bytes, as a decoding loop touches far more between steps), so "
        "every step starts with partly cold caches:",
        "",
        _step_table(results, "step"),
        "",
        "The same tokens replayed back to back, nothing in between (warm caches, a lower bound):",
        "",
        _step_table(results, "step_hot"),
        "",
        "### Size, load and build memory (ours)",
        "",
        _storage_table(results),
        "",
        "### A 1,000-state index at a 128,256-token logits width (cl100k tokens)",
        "",
        _large_table(results),
        "",
        "### Vocabulary set-up, once per tokenizer (in the compile figures above only where they start from a "
        "bare process)",
        "",
        _setup_table(results),
        "",
        "### Do the peers agree with us?",
        "",
        _agreement_table(results),
    ]
    return "\n".join(parts) + "\n"
