"""`served_vocabulary`: the `automaton.Vocabulary` of the model a vLLM engine serves."""
from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["served_vocabulary"]


def served_vocabulary(model_config) -> Any:
    """The `automaton.Vocabulary` of the model vLLM serves: its tokenizer, its logits width, and
    the EOS ids vLLM stops on (the tokenizer's and the generation config's)."""
    from automaton import Vocabulary

    width = int(model_config.get_vocab_size())
    eos: set[int] = set()
    generation = model_config.try_get_generation_config() or {}
    configured = generation.get("eos_token_id")
    if isinstance(configured, int):
        eos.add(configured)
    elif configured:
        eos.update(int(i) for i in configured)
    folder = Path(str(model_config.tokenizer))
    if (folder / "tokenizer.json").is_file():
        vocabulary = Vocabulary.from_pretrained(folder, logits_width=width)  # the folder's own EOS ids
        if eos <= set(vocabulary.eos_token_ids):
            return vocabulary
        return Vocabulary.from_pretrained(folder, eos_token_ids=sorted(eos | set(vocabulary.eos_token_ids)),
                                          logits_width=width)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(
        str(model_config.tokenizer), revision=getattr(model_config, "tokenizer_revision", None),
        trust_remote_code=bool(getattr(model_config, "trust_remote_code", False)),
    )
    if isinstance(tokenizer.eos_token_id, int):
        eos.add(tokenizer.eos_token_id)
    return Vocabulary.from_tokenizer(tokenizer, eos_token_ids=sorted(eos), logits_width=width)
