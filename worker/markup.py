"""An article's text as the reader sees it: paragraphs of lines, from plain text or HTML.

HTML (``format: "html"``) is read with the standard library's parser: markup, scripts,
styles and other non-text elements are dropped, entities decoded, block elements
(``<p>``, ``<div>``, ``<h1>``, ``<li>`` ...) become paragraphs and ``<br>`` a line break, as
blank lines and newlines do in plain text. Zero-width and bidi control characters are
removed from both. Pure functions.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Literal

from tarjama.worker.arabic import remove_invisible
from tarjama.worker.text import split_blocks

TextFormat = Literal["text", "html"]

#: Elements whose content is not article text.
SKIPPED = frozenset(
    {"script", "style", "noscript", "template", "title", "svg", "math", "iframe", "object"}
    | {"canvas", "select", "textarea", "button"}
)
#: Elements that start and end a paragraph.
BLOCKS = frozenset(
    {"p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "body"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "blockquote"}
    | {"pre", "table", "thead", "tbody", "tfoot", "tr", "caption", "figure", "figcaption"}
    | {"hr", "address", "details", "summary", "form", "fieldset", "legend", "center"}
)
#: Elements that end a line (a sentence) but not the paragraph.
LINE_BREAKS = frozenset({"br", "td", "th"})


class _BlockCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[list[str]] = []
        self._lines: list[str] = []
        self._chunks: list[str] = []
        self._skipping: list[str] = []
        self._pre = 0

    def _end_line(self) -> None:
        line = " ".join("".join(self._chunks).split())
        self._chunks = []
        if line:
            self._lines.append(line)

    def _end_block(self) -> None:
        self._end_line()
        if self._lines:
            self.blocks.append(self._lines)
            self._lines = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self._skipping.append(tag)
        elif tag in BLOCKS:
            self._end_block()
            if tag == "pre":
                self._pre += 1
        elif tag in LINE_BREAKS:
            self._end_line()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            return  # <svg/>: nothing inside to skip
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._skipping:
            while self._skipping.pop() != tag:
                pass  # close elements left open inside the skipped one
        elif tag in BLOCKS:
            self._end_block()
            if tag == "pre" and self._pre:
                self._pre -= 1
        elif tag in LINE_BREAKS:
            self._end_line()

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if not self._pre:
            self._chunks.append(data)
            return
        first, *rest = data.replace("\r\n", "\n").split("\n")
        self._chunks.append(first)
        for line in rest:  # inside <pre>, newlines are line breaks
            self._end_line()
            self._chunks.append(line)

    def close(self) -> None:
        super().close()
        self._end_block()


def html_blocks(html: str) -> list[list[str]]:
    """Paragraphs (lists of lines) of an HTML document or fragment."""
    collector = _BlockCollector()
    collector.feed(html)
    collector.close()
    return collector.blocks


#: A zero-width non-joiner between two letters is spelling in Persian, Urdu and Kurdish
#: (سه‌شنبه, می‌شود): it stays in the reader's text, which is what a paragraph the language
#: gate passes through shows. The model's text drops it (:func:`~worker.arabic.normalize`).
_SPELLING_ZWNJ = re.compile(r"(?<=[^\W\d_])\u200c(?=[^\W\d_])")


def reader_line(line: str) -> str:
    """A line without invisible format characters (but a ZWNJ between letters), whitespace
    collapsed."""
    kept = "\u200c".join(remove_invisible(part) for part in _SPELLING_ZWNJ.split(line))
    return " ".join(kept.split())


def source_blocks(text: str, text_format: TextFormat = "text") -> list[list[str]]:
    """The article's paragraphs, each a list of lines, as the reader sees them.

    Invisible format characters (zero-width, bidi controls, soft hyphens) are removed, also
    where HTML wrote them as entities (``&rlm;``), except a ZWNJ between two letters;
    whitespace is collapsed.
    """
    blocks = html_blocks(text) if text_format == "html" else split_blocks(text)
    cleaned = [[reader_line(line) for line in lines] for lines in blocks]
    return [kept for lines in cleaned if (kept := [line for line in lines if line])]
