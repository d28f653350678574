"""Answer quality by JSON layout: the same extraction with the embedded model, one schema, each
layout of `automaton.json_schema` (compact, spaced, indent=2), fields right out of N.

    .venv/bin/python -m bench.bench_layout_quality [--max-new-tokens 64] [--no-write]

Each prompt is one short text about a person, asked through the model's chat template to be
given as JSON with name, age and city; generation is greedy (so one run is the result), with
`decode.generate(..., schema=PERSON, layout=L)`. A field is right when the parsed JSON holds
the text's value (names and cities compared case-insensitively). Results go to
bench/RESULTS.md under "## JSON layouts and answer quality" unless --no-write.
"""
from __future__ import annotations

import argparse
import json

from bench.report import command_line, machine_line, table, write_section

SECTION = "## JSON layouts and answer quality"
MODULE = "bench.bench_layout_quality"
LAYOUTS = ("compact", "spaced", 2)

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 40},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
        "city": {"type": "string", "maxLength": 40},
    },
    "required": ["name", "age", "city"],
    "additionalProperties": False,
}

# (text, name, age, city)
PEOPLE = [
    ("Maria Lopez is 34 years old and lives in Lisbon.", "Maria Lopez", 34, "Lisbon"),
    ("At 52, Tom Becker still runs his bakery in Hamburg.", "Tom Becker", 52, "Hamburg"),
    ("Aiko Tanaka, 27, works as a nurse in Osaka.", "Aiko Tanaka", 27, "Osaka"),
    ("The new mayor of Denver, James Carter, turned 61 last week.", "James Carter", 61, "Denver"),
    ("Priya Nair moved to Toronto when she was 19; she is now 45.", "Priya Nair", 45, "Toronto"),
    ("Lukas Novak (age 38) teaches history in Prague.", "Lukas Novak", 38, "Prague"),
    ("Fatima Ali, a 23-year-old engineer, lives in Cairo.", "Fatima Ali", 23, "Cairo"),
    ("Oslo resident Erik Hansen celebrated his 70th birthday.", "Erik Hansen", 70, "Oslo"),
    ("Chen Wei is a 41-year-old chef based in Shanghai.", "Chen Wei", 41, "Shanghai"),
    ("Sofia Rossi, 30, paints murals all over Rome.", "Sofia Rossi", 30, "Rome"),
]


def prompt_of(text: str) -> list[dict]:
    return [{"role": "user", "content": f"Give the person in this text as JSON with name, age and city.\n{text}"}]


def score(outputs, people) -> dict:
    """Counts of fields right, rows right in every field, rows that parsed as JSON, full matches."""
    counts = {"name": 0, "age": 0, "city": 0, "all": 0, "parsed": 0, "matched": 0, "tokens": 0}
    for result, (_, name, age, city) in zip(outputs, people):
        counts["matched"] += result.matched
        counts["tokens"] += result.num_tokens
        try:
            value = json.loads(result.text)
        except ValueError:
            continue
        counts["parsed"] += 1
        right = {
            "name": str(value.get("name", "")).strip().lower() == name.lower(),
            "age": value.get("age") == age,
            "city": str(value.get("city", "")).strip().lower() == city.lower(),
        }
        for field, ok in right.items():
            counts[field] += ok
        counts["all"] += all(right.values())
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args()

    import decode
    import decode.models

    model, tokenizer = decode.models.load_default()
    prompts = [prompt_of(text) for text, *_ in PEOPLE]
    rows, examples = [], []
    for layout in LAYOUTS:
        outputs = decode.generate(model, tokenizer, prompts, schema=PERSON, layout=layout,
                                  max_new_tokens=args.max_new_tokens, batch_size=len(prompts))
        counts = score(outputs, PEOPLE)
        n = len(PEOPLE)
        shown = f"indent={layout}" if isinstance(layout, int) else layout
        rows.append([shown, f"{counts['name']}/{n}", f"{counts['age']}/{n}", f"{counts['city']}/{n}",
                     f"{counts['all']}/{n}", f"{counts['parsed']}/{n}", f"{counts['matched']}/{n}",
                     f"{counts['tokens'] / n:.1f}"])
        examples.append(f"- {shown}: `{outputs[0].text}`")
        print(" | ".join(rows[-1]), flush=True)

    body = "\n\n".join([
        command_line(MODULE, []) + f", greedy, at most {args.max_new_tokens} new tokens, {len(PEOPLE)} prompts "
        "(a short text about one person each, through the chat template), the person schema (name, age 0-120, "
        "city; all required, no extra keys), SmolLM2-135M-Instruct on the CPU. A field is right when the parsed "
        "JSON holds the text's value.",
        machine_line(["torch", "transformers"]),
        table(["layout", "name right", "age right", "city right", "all three", "parsed", "matched",
               "tokens per answer"], rows, right_from=1),
        "The first answer in each layout:\n\n" + "\n".join(examples),
    ])
    print(body)
    if not args.no_write:
        write_section(SECTION, body)


if __name__ == "__main__":
    main()
