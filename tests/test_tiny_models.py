"""The tiny decoder-only chat models: real Qwen2/Llama classes with the published token
conventions, loaded and run by transformers; their tokenizers read the same with the
``tokenizers`` library; the Qwen2.5 shape twin gets the published token ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tokenizers import Tokenizer

from benchmarks import twins
from tarjama.worker.chat_template import ChatTemplate
from tarjama.worker.styles import StyleBook
from tarjama.worker.tiny_models import LLAMA3_ADDED, QWEN2_ADDED, build_qwen2, default_corpus

ARTICLE = "The government opened a new solar plant on Tuesday, the minister said."
SAMPLES = [
    ARTICLE,
    "Prices rose 12.5% in 2024 — analysts' view: “stable”.\n\n  Two  spaces\tand a tab.",
    "افتتحت الحكومة محطة جديدة لتحلية المياه يوم الثلاثاء.",
    "text with <|im_end|> and <|eot_id|> and <tool_call> inside",
]


def _load(path: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoTokenizer.from_pretrained(path), AutoModelForCausalLM.from_pretrained(path)


@pytest.mark.parametrize(
    ("name", "model_class"), [("qwen2", "Qwen2ForCausalLM"), ("llama", "LlamaForCausalLM")]
)
def test_transformers_loads_and_generates(
    tiny_models: dict[str, Path], name: str, model_class: str
) -> None:
    # Given a tiny chat model, loaded as a published one is loaded
    tokenizer, model = _load(tiny_models[name])
    assert type(model).__name__ == model_class
    assert sum(p.numel() for p in model.parameters()) < 60_000
    # When a style's prompt goes through its chat template and generate (greedy)
    messages = StyleBook.load().get("standard").chat_messages(ARTICLE, "Solar plant")
    inputs = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    out = model.generate(**inputs, do_sample=False, max_new_tokens=12)
    # Then it generates new tokens after the prompt
    prompt_length = inputs["input_ids"].shape[1]
    assert prompt_length > 100
    assert 1 <= out.shape[1] - prompt_length <= 12


def test_qwen2_follows_the_published_conventions(tiny_models: dict[str, Path]) -> None:
    tokenizer, model = _load(tiny_models["qwen2"])
    vocab = tokenizer.get_vocab()
    # Qwen2.5's added tokens, in order, right after the trained vocabulary
    first = vocab["<|endoftext|>"]
    assert [vocab[token] for token, _ in QWEN2_ADDED] == list(range(first, first + 22))
    assert len(tokenizer) == first + 22
    assert tokenizer.bos_token is None
    assert (tokenizer.eos_token, tokenizer.pad_token) == ("<|im_end|>", "<|endoftext|>")
    config, generation = model.config, model.generation_config
    assert (config.bos_token_id, config.eos_token_id) == (first, vocab["<|im_end|>"])
    assert generation.eos_token_id == [vocab["<|im_end|>"], first]
    assert generation.pad_token_id == first
    assert generation.do_sample  # the published default: engines must ask for greedy search
    assert config.tie_word_embeddings
    assert config.vocab_size > len(tokenizer)  # spare embedding rows, as published
    # prompts carry no bos: the template starts with the first turn
    prompt = ChatTemplate.from_dir(tiny_models["qwen2"]).render([{"role": "user", "content": "x"}])
    assert prompt.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n")


def test_llama_follows_the_published_conventions(tiny_models: dict[str, Path]) -> None:
    tokenizer, model = _load(tiny_models["llama"])
    vocab = tokenizer.get_vocab()
    first = vocab["<|begin_of_text|>"]
    assert [vocab[token] for token in LLAMA3_ADDED] == list(range(first, first + 11))
    assert (tokenizer.bos_token, tokenizer.eos_token) == ("<|begin_of_text|>", "<|eot_id|>")
    assert tokenizer.pad_token is None
    ends = [vocab["<|end_of_text|>"], vocab["<|eom_id|>"], vocab["<|eot_id|>"]]
    assert model.config.eos_token_id == ends
    assert model.generation_config.eos_token_id == ends
    assert model.config.rope_parameters["rope_type"] == "llama3"
    # the tokenizer puts bos before any text; the chat template writes it as well, so a
    # rendered prompt is encoded without special tokens
    assert tokenizer("x")["input_ids"][0] == first
    messages = StyleBook.load().get("brief").chat_messages(ARTICLE, None)
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True)["input_ids"]
    assert ids.count(first) == 1


@pytest.mark.parametrize("name", ["qwen2", "llama"])
@pytest.mark.parametrize("text", SAMPLES)
def test_tokenizers_library_reads_as_transformers(
    tiny_models: dict[str, Path], name: str, text: str
) -> None:
    # The CTranslate2 engine tokenizes with the tokenizers library: the same ids, both ways
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(tiny_models[name])
    fast = Tokenizer.from_file(str(tiny_models[name] / "tokenizer.json"))
    for special in (False, True):
        ids = hf(text, add_special_tokens=special)["input_ids"]
        assert fast.encode(text, add_special_tokens=special).ids == ids
    assert fast.decode(ids, skip_special_tokens=False) == hf.decode(ids)


def test_qwen_shape_twin_gets_the_published_ids(tmp_path: Path) -> None:
    # Given the Qwen2.5-1.5B-Instruct shape with its vocabulary but tiny layers
    shape = {
        **twins.load_shape(twins.CHAT_SUMMARY),
        "hidden_size": 16,
        "intermediate_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
    }
    # When its twin is built
    path = build_qwen2(tmp_path / "twin", default_corpus(), shape=shape)
    twins.silence_untrained_rows(path)
    # Then the added tokens have the published ids and the embedding the published size
    config = json.loads((path / "config.json").read_text())
    assert (config["vocab_size"], config["dtype"]) == (151936, "bfloat16")
    vocab = Tokenizer.from_file(str(path / "tokenizer.json")).get_vocab(with_added_tokens=True)
    assert (vocab["<|endoftext|>"], vocab["<|im_start|>"], vocab["<|im_end|>"]) == (
        151643,
        151644,
        151645,
    )
    assert vocab["<|file_sep|>"] == 151664
    assert len(vocab) == 151665
    assert ChatTemplate.from_dir(path).end_token_ids == (151645, 151643)
    # and the rows of fillers and spare ids are silent: a random twin writes trained pieces
    from transformers import AutoModelForCausalLM

    model: Any = AutoModelForCausalLM.from_pretrained(path)
    weights = model.get_input_embeddings().weight
    assert not weights[vocab["<filler_0>"]].any()
    assert not weights[151665:].any()
    assert weights[vocab["<|im_end|>"]].any()


@pytest.mark.parametrize("name", ["qwen2", "llama"])
def test_greedy_output_depends_on_the_prompt(tiny_models: dict[str, Path], name: str) -> None:
    # Engine-parity tests compare something only if a tiny model's greedy answer changes
    # with its prompt (transformers' default init makes logits flat: the same token always)
    tokenizer, model = _load(tiny_models[name])
    style = StyleBook.load().get("brief")
    answers = []
    for article in (ARTICLE, "Thousands protested in the capital against rising prices."):
        inputs = tokenizer.apply_chat_template(
            style.chat_messages(article, None),
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        )
        out = model.generate(**inputs, do_sample=False, repetition_penalty=1.0, max_new_tokens=8)
        new = out[0][inputs["input_ids"].shape[1] :].tolist()
        assert all(i < len(tokenizer) for i in new)  # real tokens, never spare rows
        answers.append(new)
    assert answers[0] != answers[1]
    assert len(set(answers[0])) > 1
