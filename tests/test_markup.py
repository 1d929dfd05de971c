"""Articles as HTML: text, paragraphs and line breaks as the reader sees them."""

from __future__ import annotations

import html

import pytest

from tarjama.worker.arabic import normalize
from tarjama.worker.markup import source_blocks
from tarjama.worker.text import split_blocks

HTML_CASES = [
    ("<p>فقرة أولى.</p><p>فقرة ثانية.</p>", [["فقرة أولى."], ["فقرة ثانية."]]),
    ("<p>سطر.<br>سطر آخر.<br/>ثالث</p>", [["سطر.", "سطر آخر.", "ثالث"]]),
    ("<p>كلمة <b>مهمة</b> و<a href='#'>رابط</a>ملتصق</p>", [["كلمة مهمة ورابطملتصق"]]),
    ("<p>أ &amp; ب &quot;ج&quot; &#1583; &#x62F;&nbsp;هـ</p>", [['أ & ب "ج" د د هـ']]),
    ("<p>قال&rlm; نعم&#8207;.&zwnj;</p>", [["قال نعم."]]),  # invisible entities removed
    ("<script>var p = '<p>لا</p>';</script><p>نص</p>", [["نص"]]),
    ("<style>p { color: red }</style><p>نص</p>", [["نص"]]),
    ("<head><title>عنوان الصفحة</title></head><body><p>نص</p></body>", [["نص"]]),
    ("<noscript>فعّل جافاسكربت</noscript><p>نص</p><!-- تعليق -->", [["نص"]]),
    ("<svg><text>لا</text></svg><p>نص</p><svg/><p>بعد</p>", [["نص"], ["بعد"]]),
    ("<h1>عنوان</h1>نص حر<div>قسم</div>", [["عنوان"], ["نص حر"], ["قسم"]]),
    ("<ul><li>بند 1</li><li>بند 2</ul>", [["بند 1"], ["بند 2"]]),
    ("<table><tr><td>خلية</td><td>أخرى</td></tr></table>", [["خلية", "أخرى"]]),
    ("<pre>سطر أ\nسطر ب</pre>", [["سطر أ", "سطر ب"]]),
    ("<p>\n   نص   موزع\n  على أسطر  </p>", [["نص موزع على أسطر"]]),
    ("<p>غير مغلق<p>فقرة", [["غير مغلق"], ["فقرة"]]),
    ("<p></p><div> </div>", []),
    ("نص بلا وسوم", [["نص بلا وسوم"]]),
]


@pytest.mark.parametrize(("markup", "expected"), HTML_CASES)
def test_html_blocks(markup: str, expected: list[list[str]]) -> None:
    # Given HTML, When its text is extracted, Then paragraphs and lines are these
    assert source_blocks(markup, "html") == expected


def test_plain_text_loses_invisible_characters_too() -> None:
    text = "\ufeffقال\u200f الوزير\u200b.\n\n\u202bفقرة\u202c"
    assert source_blocks(text, "text") == [["قال الوزير."], ["فقرة"]]


def test_a_zwnj_between_letters_is_spelling_and_stays() -> None:
    # Given Persian with its half-spaces (ZWNJ), and stray ZWNJs beside spaces and at the end
    text = "روز سه\u200cشنبه \u200cمی\u200cشود.\u200c"
    # When it is read, Then the half-spaces inside words stay and the stray ones go
    assert source_blocks(text, "text") == [["روز سه\u200cشنبه می\u200cشود."]]
    # and the model's text has none
    assert "\u200c" not in normalize(source_blocks(text, "text")[0][0])


def as_html(text: str) -> str:
    """A CMS rendering of plain text: <p> per paragraph, <br> per line, escaped, with
    inline markup, a script and a style around it."""
    paragraphs = [
        "<br>\n".join(f"<span>{html.escape(line)}</span>" for line in lines)
        for lines in split_blocks(text)
    ]
    body = "\n".join(f'<p class="x">{p}</p>' for p in paragraphs)
    return f"<html><head><style>p{{}}</style></head><body>{body}<script>x()</script></body>"


def test_html_of_the_real_article_reads_as_its_plain_text(real_article: str) -> None:
    # Given the real article as plain text and as HTML
    # When both are read, Then they give the same paragraphs and lines
    assert source_blocks(as_html(real_article), "html") == source_blocks(real_article, "text")
