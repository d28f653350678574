"""The vendored JSON-Schema-Test-Suite files (tests/data/json-schema-test-suite): their groups,
compiled per layout with `compile_dfa(schema=...)`, and their instances checked against the DFAs."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import automaton
from automaton.errors import AutomatonError

SUITE_DIR = Path(__file__).resolve().parents[2] / "data" / "json-schema-test-suite" / "draft2020-12"
REMOTES_DIR = SUITE_DIR.parent / "remotes"
REMOTES_URI = "http://localhost:1234/"  # where the suite's README serves remotes/
LAYOUTS = {"spaced": {}, "compact": {"separators": (",", ":")}, 2: {"indent": 2}}


def read_groups(paths) -> list[tuple[str, dict]]:
    """("file: group description", group) for every group of the files at `paths`, in order."""
    out = []
    for path in paths:
        for group in json.loads(Path(path).read_text(encoding="utf-8")):
            out.append((f"{Path(path).stem}: {group['description']}", group))
    return out


def remote_documents(folder: Path = REMOTES_DIR, uri: str = REMOTES_URI) -> dict[str, object]:
    """{URI: document} of every JSON file under the suite's `remotes/` folder, each at the URI the
    suite serves it from (`http://localhost:1234/` + its path below the folder)."""
    return {uri + path.relative_to(folder).as_posix(): json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(folder.rglob("*.json"))}


def oracle_registry(documents: dict[str, object] | None = None):
    """A `referencing.Registry` holding `documents` (default: the suite's remote documents) for
    `jsonschema` validators (`registry=`); documents without `$schema` read as 2020-12."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    documents = remote_documents() if documents is None else documents
    return Registry().with_resources(
        (uri, Resource.from_contents(doc, default_specification=DRAFT202012)) for uri, doc in documents.items())


def compile_groups(groups, layout) -> tuple[list, list]:
    """([(name, group, dfa)], [(name, error)]): each group's schema compiled in `layout`, with the
    suite's remote documents as `resources`."""
    done, refused = [], []
    resources = remote_documents()
    for name, group in groups:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                dfa = automaton.compile_dfa(schema=group["schema"], layout=layout, max_states=20000,
                                            resources=resources)
        except AutomatonError as error:
            refused.append((name, error))
            continue
        done.append((name, group, dfa))
    return done, refused


def scan_instances(done, layout) -> tuple[list, int, int]:
    """(invalid instances accepted, valid instances, valid instances accepted) over the compiled
    groups; each instance spelled in the layout, raw and with ASCII escapes (the raw spelling
    counts for the valid ones)."""
    unsound, valid_total, valid_accepted = [], 0, 0
    for name, group, dfa in done:
        for case in group["tests"]:
            for ascii_only in (False, True):
                text = json.dumps(case["data"], ensure_ascii=ascii_only, **LAYOUTS[layout])
                accepted = dfa.matches(text.encode("utf-8"))
                if accepted and not case["valid"]:
                    unsound.append((name, case["description"], text))
                if case["valid"] and not ascii_only:
                    valid_total += 1
                    valid_accepted += accepted
    return unsound, valid_total, valid_accepted
