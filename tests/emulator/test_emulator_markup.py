"""Telegram HTML: the strict parser (entities, error texts) and the readable-text renderer."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.emulator import EntityParseError, html_to_text, parse_html


def test_entities_and_decoding() -> None:
    parsed = parse_html(
        '<b>굵게</b> &lt;x&gt; &amp; &#65;&#x42; <a href="https://a.kr/?q=1&amp;r=2">링크</a>'
    )
    assert parsed.text == "굵게 <x> & AB 링크"
    assert parsed.entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "text_link", "offset": 12, "length": 2, "url": "https://a.kr/?q=1&r=2"},
    ]


def test_pre_with_language_and_nesting() -> None:
    parsed = parse_html('<pre><code class="language-python">x = 1</code></pre><i><u>iu</u></i>')
    assert parsed.text == "x = 1iu"
    assert parsed.entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "italic", "offset": 5, "length": 2},
        {"type": "underline", "offset": 5, "length": 2},
    ]


def test_spoiler_blockquote_and_unknown_named_entity() -> None:
    parsed = parse_html(
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>'
        "<blockquote expandable>q</blockquote>&nbsp;"
    )
    assert parsed.text == "stq&nbsp;"  # only &lt; &gt; &amp; &quot; are named entities
    assert [e["type"] for e in parsed.entities] == ["spoiler", "spoiler", "expandable_blockquote"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("가<p>x</p>", 'Unsupported start tag "p" at byte offset 3'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<a href="x', "Unclosed start tag at byte offset 0"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
    ],
)
def test_parse_errors_match_telegram(source: str, message: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(source)
    assert str(caught.value) == message


def test_html_to_text() -> None:
    assert (
        html_to_text(
            "<b>등록</b> <i>완료</i><br><u>u</u> <s>s</s> <code>c</code>\n"
            '<pre>p</pre> <a href="https://bank.kr">은행</a> <a href="https://x.kr">https://x.kr</a>'
            " &amp; &lt;&gt; &quot;"
        )
        == '등록 완료\nu s c\np 은행 (https://bank.kr) https://x.kr & <> "'
    )


_TEXT = st.text(alphabet=st.sampled_from("가나다abc <>&\"'\n;#0x😀"), min_size=0, max_size=40)


@given(_TEXT)
def test_escaped_text_round_trips(text: str) -> None:
    escaped = html.escape(text)
    assert parse_html(escaped).text == text
    assert html_to_text(escaped) == text


@given(_TEXT, _TEXT)
def test_tags_never_change_the_text(a: str, b: str) -> None:
    parsed = parse_html(f"<b>{html.escape(a)}</b><i>{html.escape(b)}</i>")
    assert parsed.text == a + b
    assert all(e["length"] > 0 for e in parsed.entities)
