"""Hugging Face checkpoint -> CTranslate2 model directory (run in a child process).

``python -m tarjama.worker.models.ctranslate2.converter CHECKPOINT OUT COMPUTE_TYPE`` writes
CTranslate2's files, the tokenizer in a form that needs no transformers at run time
(``tokenizer.json``, or Marian's SentencePiece models) and the :class:`.manifest.Manifest`:
what ``generate`` would read from the checkpoint's generation config, so both paths decode
alike. :func:`.conversion.ensure_converted` runs it; it imports torch and transformers.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from tarjama.worker.models.ctranslate2.manifest import Manifest, read_vocabulary

#: ctranslate2 4.8's BART converter reads these; BartConfig no longer carries them (seen
#: with transformers 4.57 and 5.x). Their BART values: post-norm, layer norm on embeddings.
BART_LAYOUT_DEFAULTS: dict[str, bool] = {
    "normalize_before": False,
    "normalize_embedding": True,
    "add_final_layer_norm": False,
}
_MARIAN_FILES = ("source.spm", "target.spm")


def _with_bart_defaults(model: Any) -> Any:
    if model.config.model_type == "bart":
        for key, value in BART_LAYOUT_DEFAULTS.items():
            if not hasattr(model.config, key):
                setattr(model.config, key, value)
    return model


def _save_tokenizer(tokenizer: Any, checkpoint: Path, out: Path) -> str:
    """Write the tokenizer for :mod:`.subwords`; return its kind."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        backend.save(str(out / "tokenizer.json"))
        return "tokenizers"
    if type(tokenizer).__name__ == "MarianTokenizer" and not tokenizer.separate_vocabs:
        for name in _MARIAN_FILES:
            shutil.copyfile(checkpoint / name, out / name)
        return "marian"
    raise ValueError(f"the CTranslate2 engine does not support {type(tokenizer).__name__}")


def _cleans_up_spaces(tokenizer: Any, kind: str) -> bool:
    """Whether transformers' ``decode`` applies ``clean_up_tokenization`` for this tokenizer."""
    if not getattr(tokenizer, "clean_up_tokenization_spaces", False):
        return False
    if kind == "tokenizers" and type(tokenizer.backend_tokenizer.model).__name__ == "BPE":
        # transformers skips the clean-up for BPE unless forced
        flag = "clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output"
        return bool(getattr(tokenizer, flag, False))
    return True


def convert(checkpoint: Path, out: Path, compute_type: str) -> Manifest:
    from ctranslate2.converters import TransformersConverter
    from transformers import AutoTokenizer

    from tarjama.worker.models.transformers.common import input_limit, model_family

    loaded: list[Any] = []

    class _Converter(TransformersConverter):  # type: ignore[misc]
        def load_model(self, model_class: Any, path: str, **kwargs: Any) -> Any:
            loaded.append(_with_bart_defaults(super().load_model(model_class, path, **kwargs)))
            return loaded[-1]

    _Converter(str(checkpoint)).convert(str(out), quantization=compute_type, force=True)
    model = loaded[-1]
    tokenizer: Any = AutoTokenizer.from_pretrained(checkpoint, trust_remote_code=False)
    kind = _save_tokenizer(tokenizer, checkpoint, out)
    generation = model.generation_config
    vocabulary = set(read_vocabulary(out))
    bad_words = [tokenizer.convert_ids_to_tokens(ids) for ids in generation.bad_words_ids or []]
    forced_bos = generation.forced_bos_token_id
    manifest = Manifest(
        model_type=str(model.config.model_type),
        family=model_family(model.config),
        compute_type=compute_type,
        max_input_tokens=input_limit(model.config, tokenizer),
        tokenizer=kind,
        target_prefix=[] if forced_bos is None else [tokenizer.convert_ids_to_tokens(forced_bos)],
        forced_eos=generation.forced_eos_token_id is not None,
        # the converter drops Marian's <pad> from the vocabulary: it cannot be generated
        suppress_sequences=[seq for seq in bad_words if set(seq) <= vocabulary],
        # unset (None) means generate()'s defaults
        length_penalty=float(generation.length_penalty or 1.0),
        no_repeat_ngram_size=int(generation.no_repeat_ngram_size or 0),
        repetition_penalty=float(generation.repetition_penalty or 1.0),
        clean_up_tokenization_spaces=_cleans_up_spaces(tokenizer, kind),
        special_tokens=list(tokenizer.all_special_tokens),
        source=str(checkpoint),
    )
    manifest.write(out)
    return manifest


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(
            "usage: python -m tarjama.worker.models.ctranslate2.converter CHECKPOINT OUT "
            "COMPUTE_TYPE"
        )
        return 2
    checkpoint, out, compute_type = Path(argv[0]), Path(argv[1]), argv[2]
    try:
        convert(checkpoint, out, compute_type)
    except Exception as exc:  # the parent reports the message as model_unavailable
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
