"""Search in Chinese: runs of characters are cut into overlapping pairs.

The index is built from tours whose titles and prose are Chinese: the
Chinese Flask tour (content/zh/flask.md, on the English tour's symbols and
code) and a small tour written here, where one step is titled with a term
and another only mentions it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from walkthrough.pages import read_step_code
from walkthrough.tour.content import Tour, load_tour, parse_tour
from walkthrough.tour.search import (
    SearchEntry,
    build_index,
    explain,
    field_terms,
    query_words,
    search,
)

CONTENT = Path(__file__).resolve().parents[2] / "content"
CONTEXTS = """+++
title = "上下文"
+++

## 请求上下文：一个请求的一切

```step
id = "titled"
symbol = "walkthrough.framework.ctx:RequestContext"
```

它装着请求对象和绑定好的 URL 映射。

## 压入与弹出

```step
id = "mentions"
symbol = "walkthrough.framework.ctx:RequestContext.push"
```

`push` 把请求上下文设为当前值，`pop` 再把它拿掉。

## 请求与上下

```step
id = "apart"
symbol = "walkthrough.framework.ctx:RequestContext.pop"
```

这一步只说请求，从不说那个词。
"""


def ids(entries: list[SearchEntry]) -> list[str]:
    """Return the step ids of some results, in order."""
    return [entry.step_id for entry in entries]


@pytest.fixture(scope="module")
def zh_index(zh_flask_tour: Tour) -> list[SearchEntry]:
    """The Chinese Flask tour's index, with each step's code, as served."""
    return build_index([zh_flask_tour], read_step_code)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("上下文", ["上下", "下文"]),
        ("请求上下文", ["请求", "求上", "上下", "下文"]),
        ("wsgi_app 上下文", ["wsgi_app", "上下", "下文"]),
        ("wsgi_app的上下文", ["wsgi_app", "的上", "上下", "下文"]),
        ("g 的 g", ["g", "的", "g"]),
        # Full-width letters and punctuation read as ASCII; 。 splits.
        ("ｗｓｇｉ＿ａｐｐ，上下文。", ["wsgi_app", "上下", "下文"]),
        ("栈", ["栈"]),
        ("RequestContext", ["requestcontext"]),
    ],
)
def test_a_query_is_cut_into_words_and_pairs(query: str, words: list[str]) -> None:
    assert query_words(query) == words


def test_a_field_holds_pairs_as_terms_and_characters_as_starts() -> None:
    exact, starts = field_terms("设置上下文变量（`ctx.push`）")
    pairs = ["设置", "置上", "上下", "下文", "文变", "变量"]
    assert exact.split() == [*pairs, "ctx", "push"]
    assert set(starts.split()) == set("设置上下文变量")


def test_contexts_finds_the_steps_about_contexts(zh_index: list[SearchEntry]) -> None:
    found = search(zh_index, "上下文")
    assert {"request-context", "ctx-push", "ctx-init", "wsgi-app"} <= set(ids(found))
    # Titled with the word first, and every result holds it somewhere.
    assert ids(found)[:2] == ["request-context", "ctx-push"]
    for entry in found:
        assert "上下文" in entry.title + entry.text


def test_a_step_titled_with_the_term_beats_one_that_mentions_it() -> None:
    tour = parse_tour(CONTEXTS, Path("contexts.md"))
    found = search(build_index([tour]), "请求上下文")
    # "apart" says 请求 and 上下 but never 求上 or 下文: every pair must match.
    assert ids(found) == ["titled", "mentions"]
    assert explain(found[0], "请求上下文").field == "title"
    hit = explain(found[1], "请求上下文")
    assert (hit.field, hit.snippet) == ("text", found[1].text)


def test_mixed_queries_need_the_name_and_the_chinese(
    zh_index: list[SearchEntry],
) -> None:
    found = ids(search(zh_index, "wsgi_app 上下文"))
    assert "wsgi-app" in found
    assert set(found) < set(ids(search(zh_index, "上下文")))
    assert found == ids(search(zh_index, "ｗｓｇｉ＿ａｐｐ　上下文"))


def test_one_character_finds_it_inside_a_run(zh_index: list[SearchEntry]) -> None:
    found = search(zh_index, "栈")
    assert found
    assert all("栈" in entry.title + entry.text for entry in found)
    hit = explain(found[0], "栈")
    assert hit.field == "text"
    assert "栈" in hit.snippet


def test_a_chinese_word_nowhere_finds_nothing(zh_index: list[SearchEntry]) -> None:
    assert search(zh_index, "数据库连接池") == []


def test_english_terms_hold_no_pairs() -> None:
    # The English index is built as before: no CJK, so nothing is cut.
    entries = build_index([load_tour(CONTENT / "contexts.md")])
    terms = " ".join(" ".join(pair) for e in entries for pair in e.terms.values())
    assert terms.isascii()


def test_the_chinese_edition_finds_the_contexts_tour(zh_edition: list[Tour]) -> None:
    # Every translation there is, as /zh/search will index it.
    tours = zh_edition
    found = search(build_index(tours), "上下文")
    contexts = [step for tour in tours if tour.id == "contexts" for step in tour.steps]
    assert contexts, "no Chinese contexts tour"
    titled = {("contexts", s.id) for s in contexts if "上下文" in s.title}
    assert titled <= {(entry.tour_id, entry.step_id) for entry in found}
    # Steps titled with the word come before those that only mention it.
    in_title = ["上下文" in entry.title for entry in found]
    assert in_title == sorted(in_title, reverse=True)
