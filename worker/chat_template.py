"""A chat model's own prompt format, rendered without transformers.

Instruction-tuned models ship a Jinja chat template (``chat_template.jinja``, or
``chat_template`` in ``tokenizer_config.json``) that turns messages into the prompt text the
model was trained on. :class:`ChatTemplate` renders it as transformers'
``apply_chat_template(messages, tokenize=False, add_generation_prompt=True)`` does: the same
sandboxed Jinja environment (``trim_blocks``, ``lstrip_blocks``, loop controls, the
``raise_exception``/``strftime_now``/``tojson``/``namespace`` helpers), the tokenizer's named
special tokens (``bos_token``, ``eos_token``, …) as variables, and ``enable_thinking=False``
(Qwen3's switch; other templates ignore it). The CTranslate2 worker path uses it with the
``tokenizers`` library and never imports transformers.

One difference, on purpose: the text of the messages cannot carry the model's control tokens.
A control token (``<|im_end|>``, ``<|eot_id|>``, …) written inside a message, e.g. in an
article, is broken up with a word joiner (U+2060) before rendering, so that a tokenizer reads
it as plain text and it cannot end a turn or open a new one; only the template's own control
tokens remain. (transformers does the same with ``sanitize_control_tokens=True``.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from tarjama.worker.errors import ModelUnavailable

if TYPE_CHECKING:
    import jinja2

#: The tokenizer's named special tokens that transformers passes to every chat template.
SPECIAL_TOKEN_NAMES = (
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
)
#: Inserted after the first character of a control token found in a message.
WORD_JOINER = "\u2060"
#: An added token that reads as markup (``<tool_call>``, ``<|fim_pad|>``, ``[INST]``): a
#: control token even when the tokenizer does not mark it special. (Other added tokens, such
#: as runs of spaces some tokenizers add, are left alone.)
_MARKUP = re.compile(r"^(?:<[^\s<>]+>|\[[^\s\[\]]+\])$")
#: The oldest Jinja2 without known sandbox escapes (transformers requires it too).
MIN_JINJA2 = (3, 1, 6)


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatTemplate:
    """A model's chat template with its special tokens, control tokens and end-of-turn tokens.

    ``control_tokens``: added tokens that message text must not contain (see the module doc):
    from a model directory, the special ones, those the template writes, and markup-like ones.
    ``end_tokens`` (``end_token_ids``): tokens that end the assistant's turn; generation stops
    at any of them (the tokenizer's ``eos_token`` and ``generation_config.json``'s
    ``eos_token_id``).
    """

    def __init__(
        self,
        source: str,
        *,
        special_tokens: Mapping[str, str] | None = None,
        control_tokens: Iterable[str] = (),
        end_tokens: Sequence[str] = (),
        end_token_ids: Sequence[int] = (),
        origin: str = "chat template",
    ) -> None:
        self.source = source
        self.origin = origin
        self.special_tokens = dict(special_tokens or {})
        tokens = {*control_tokens, *self.special_tokens.values()}
        self.control_tokens = frozenset(t for t in tokens if len(t) > 1)
        self.end_tokens = tuple(end_tokens)
        self.end_token_ids = tuple(end_token_ids)
        self._template  # noqa: B018 - compile now: a broken template fails at load, not per job

    @classmethod
    def from_dir(cls, path: Path) -> ChatTemplate:
        """The chat template of a model directory (as ``save_pretrained`` writes it)."""
        return _read_model_dir(path)

    @cached_property
    def _template(self) -> jinja2.Template:
        import jinja2

        try:
            return _environment().from_string(self.source)
        except jinja2.TemplateError as exc:
            raise ModelUnavailable(
                f"{self.origin}: the chat template does not parse: {exc}"
            ) from exc

    @cached_property
    def _control_pattern(self) -> re.Pattern[str] | None:
        if not self.control_tokens:
            return None
        ordered = sorted(self.control_tokens, key=len, reverse=True)
        return re.compile("|".join(re.escape(t) for t in ordered))

    def neutralize(self, text: str) -> str:
        """``text`` with every control token broken up (``<|im_end|>`` → ``<⁠|im_end|>``):
        the same characters to a reader, plain text to a tokenizer."""
        pattern = self._control_pattern
        if pattern is None:
            return text
        while pattern.search(text):  # a break can only ever end matches, never start them
            text = pattern.sub(lambda m: m.group()[0] + WORD_JOINER + m.group()[1:], text)
        return text

    def render(
        self,
        messages: Sequence[ChatMessage],
        *,
        add_generation_prompt: bool = True,
        now: datetime | None = None,
        **variables: Any,
    ) -> str:
        """The prompt text, as transformers renders it (``tokenize=False``), with the messages'
        control tokens neutralized. ``now`` fixes the clock of ``strftime_now`` (templates
        such as Llama 3.2's put today's date in the system message); ``variables`` are passed
        to the template (``enable_thinking`` is False unless given)."""
        import jinja2

        chat = [{"role": m["role"], "content": self.neutralize(m["content"])} for m in messages]
        context = {
            **self.special_tokens,
            "enable_thinking": False,
            **variables,
            "messages": chat,
            "tools": None,
            "documents": None,
            "add_generation_prompt": add_generation_prompt,
        }
        clock = (lambda: now) if now is not None else datetime.now
        try:
            return self._template.render(strftime_now=_strftime_now(clock), **context)
        except jinja2.TemplateError as exc:
            raise ModelUnavailable(
                f"{self.origin}: the model's chat template refused the messages: {exc}"
            ) from exc


# --- the Jinja environment, as transformers sets it up -----------------------------------


def _strftime_now(clock: Callable[[], datetime]) -> Callable[[str], str]:
    def strftime_now(format: str) -> str:
        return clock().strftime(format)

    return strftime_now


def _environment() -> jinja2.Environment:
    import jinja2
    import jinja2.ext
    import jinja2.nodes
    import jinja2.utils
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    version = tuple(int(p) for p in jinja2.__version__.split(".")[:3] if p.isdigit())
    if version < MIN_JINJA2:
        raise ModelUnavailable(
            f"chat templates need jinja2>={'.'.join(map(str, MIN_JINJA2))} (older versions "
            f"have known sandbox escapes); this environment has {jinja2.__version__}"
        )

    class GenerationBlocks(jinja2.ext.Extension):
        """``{% generation %}…{% endgeneration %}`` (marks the assistant's tokens for
        training masks in transformers): rendered as its body."""

        tags = {"generation"}  # noqa: RUF012 - Jinja's extension API

        def parse(self, parser: jinja2.parser.Parser) -> jinja2.nodes.Node:
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
            call = self.call_method("_body")
            return jinja2.nodes.CallBlock(call, [], [], body).set_lineno(lineno)

        def _body(self, caller: Callable[[], str]) -> str:
            return caller()

    class TemplateDict:
        """``dict(...)`` for templates, without the class object itself."""

        def __call__(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
            return dict(*args, **kwargs)

        def fromkeys(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
            return dict.fromkeys(*args, **kwargs)

    class TemplateNamespace(jinja2.utils.Namespace):
        """``namespace(...)`` that refuses underscore-prefixed attributes."""

        def __init__(*args: Any, **kwargs: Any) -> None:  # Jinja's Namespace signature
            self, rest = args[0], args[1:]
            for name in dict(*rest, **kwargs):
                TemplateNamespace._check(name)
            jinja2.utils.Namespace.__init__(self, *rest, **kwargs)

        def __setitem__(self, name: str, value: Any) -> None:
            TemplateNamespace._check(name)
            jinja2.utils.Namespace.__setitem__(self, name, value)

        @staticmethod
        def _check(name: object) -> None:
            if isinstance(name, str) and name.startswith("_"):
                raise jinja2.exceptions.SecurityError(
                    f"chat templates cannot set underscore attributes on a namespace: {name!r}"
                )

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    def tojson(
        value: Any,
        ensure_ascii: bool = False,
        indent: int | None = None,
        separators: tuple[str, str] | None = None,
        sort_keys: bool = False,
    ) -> str:
        # Jinja's own tojson escapes HTML characters; chat templates expect plain JSON.
        return json.dumps(
            value,
            ensure_ascii=ensure_ascii,
            indent=indent,
            separators=separators,
            sort_keys=sort_keys,
        )

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[GenerationBlocks, jinja2.ext.loopcontrols],
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["dict"] = TemplateDict()
    env.globals["namespace"] = TemplateNamespace
    return env


# --- reading a model directory -----------------------------------------------------------


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelUnavailable(f"{path}: cannot read: {exc}") from exc
    return data if isinstance(data, dict) else {}


def _token_text(value: object) -> str | None:
    """A special token as stored: a string, or an AddedToken dict with ``content``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return str(value["content"])
    return None


def _template_source(path: Path, config: Mapping[str, Any]) -> str | None:
    """``chat_template.jinja`` first (it takes priority in transformers), then the config's
    ``chat_template`` (a string, or named templates: ``default``), then a processor's
    ``chat_template.json``."""
    jinja_file = path / "chat_template.jinja"
    if jinja_file.is_file():
        return jinja_file.read_text(encoding="utf-8")
    value = config.get("chat_template")
    if isinstance(value, list):
        named = {t.get("name"): t.get("template") for t in value if isinstance(t, dict)}
        value = named.get("default")
    if isinstance(value, str):
        return value
    processor = _read_json(path / "chat_template.json").get("chat_template")
    return processor if isinstance(processor, str) else None


def _added_tokens(path: Path, config: Mapping[str, Any]) -> Iterator[tuple[int, str, bool]]:
    """(id, text, special) of every added token, from tokenizer.json and the config."""
    for entry in _read_json(path / "tokenizer.json").get("added_tokens", []):
        if isinstance(entry, dict) and isinstance(entry.get("content"), str):
            yield int(entry["id"]), entry["content"], bool(entry.get("special"))
    for key, entry in (config.get("added_tokens_decoder") or {}).items():
        text = _token_text(entry)
        if text is not None:
            with suppress(ValueError):
                yield int(key), text, bool(isinstance(entry, dict) and entry.get("special"))


def _ids(value: object) -> list[int]:
    if isinstance(value, int):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, int)]
    return []


def _read_model_dir(path: Path) -> ChatTemplate:
    config = _read_json(path / "tokenizer_config.json")
    source = _template_source(path, config)
    if source is None:
        raise ModelUnavailable(
            f"{path}: the model has no chat template (chat_template.jinja, or chat_template "
            "in tokenizer_config.json): a chat summarizer must be an instruction-tuned model; "
            "base models and seq2seq summarizers have none"
        )
    legacy = _read_json(path / "special_tokens_map.json")
    special: dict[str, str] = {}
    for name in SPECIAL_TOKEN_NAMES:
        raw = config[name] if name in config else legacy.get(name)
        text = _token_text(raw)
        if text is not None:
            special[name] = text
    added = list(_added_tokens(path, config))
    by_id = {token_id: text for token_id, text, _ in added}
    control = {
        text for _, text, is_special in added if is_special or text in source or _MARKUP.match(text)
    }
    generation = _read_json(path / "generation_config.json")
    end_ids = _ids(generation.get("eos_token_id"))
    end_tokens = [special["eos_token"]] if "eos_token" in special else []
    end_tokens += [by_id[i] for i in end_ids if i in by_id]
    by_text = {text: token_id for token_id, text, _ in added}
    end_tokens = list(dict.fromkeys(end_tokens))
    return ChatTemplate(
        source,
        special_tokens=special,
        control_tokens=control,
        end_tokens=end_tokens,
        end_token_ids=[by_text[t] for t in end_tokens if t in by_text],
        origin=str(path),
    )
