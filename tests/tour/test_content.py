"""Tests for walkthrough/tour/content.py: tour files into Tour values."""

from __future__ import annotations

from pathlib import Path

import pytest
from tourfixture.helpers import FIXTURES, line_of

from walkthrough.tour.content import (
    ContentError,
    content_directory,
    load_tour,
    load_tours,
    parse_tour,
)

FRONT = '+++\ntitle = "T"\n+++\n'
STEP = '```step\nid = "s"\nsymbol = "m:f"\n```\n'


def test_load_tours_sorts_by_order_and_skips_readme() -> None:
    tours = load_tours(FIXTURES / "good")
    assert [tour.id for tour in tours] == ["sample", "serving"]
    assert [tour.order for tour in tours] == [1, 2]


def test_load_tour_reads_every_field() -> None:
    tour = load_tour(FIXTURES / "good" / "sample.md")
    assert (tour.id, tour.title, tour.order) == ("sample", "The sample module", 1)
    assert tour.summary == "Every kind of symbol, from the test fixture."
    assert tour.intro_markdown.startswith("This tour walks the [fixture](#plain)")
    assert tour.intro_line == 7
    first, second, third = tour.steps
    assert (first.id, first.title, first.symbol) == (
        "plain",
        "Say hello",
        "tourfixture.sample:plain",
    )
    assert (first.focus, first.chain, first.line, first.prose_line) == (
        ("return f",),
        "greet",
        10,
        19,
    )
    assert first.prose_markdown.splitlines()[-1] == (
        "spec, [PEP 3333](https://peps.python.org/pep-3333/)."
    )
    assert (second.title, second.focus, second.chain) == (
        "Say it loudly",
        ("@shout", "lru_cache"),
        None,
    )
    assert (third.focus, third.line) == ((), line_of(tour.path, "## A property"))
    assert tour.step("loud") is second and tour.step("nope") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (FRONT, ("t", "T", "", 0, 0)),
        ('+++\nid = "x-1"\ntitle = "T"\norder = -2\n+++\n', ("x-1", "T", "", -2, 0)),
        (FRONT + "Intro.\n\n## A\n\n" + STEP + "\nProse.\n", ("t", "T", "", 0, 1)),
        # A `## ` inside a code block or a quote is prose, not a step.
        (FRONT + "## A\n" + STEP + "```\n## no\n```\n> ## no\n", ("t", "T", "", 0, 1)),
    ],
)
def test_parse_tour_accepts(text: str, expected: tuple[object, ...]) -> None:
    tour = parse_tour(text, Path("t.md"))
    assert (tour.id, tour.title, tour.summary, tour.order, len(tour.steps)) == expected


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "# no front matter\n",
            1,
            "missing TOML front matter: the file must open with a '+++' line",
        ),
        (
            '+++\ntitle = "T"\n',
            1,
            "front matter opened on line 1 is never closed by '+++'",
        ),
        (
            '+++\ntitle = "T"\norder = \n+++\n',
            3,
            "bad TOML in front matter: Invalid value",
        ),
        ("+++\nsummary = 'S'\n+++\n", 1, "front matter has no 'title'"),
        (
            '+++\ntitle = "T"\ntitel = "T"\n+++\n',
            3,
            "unknown key 'titel' (known: id, order, requires, summary, title)",
        ),
        (
            '+++\ntitle = "T"\norder = "1"\n+++\n',
            3,
            "'order' must be an integer, not str",
        ),
        ("+++\ntitle = 3\n+++\n", 2, "'title' must be a string, not int"),
        (
            '+++\nid = "Bad Id"\ntitle = "T"\n+++\n',
            2,
            "id 'Bad Id' is not a slug (use a-z, 0-9, '-' and '_')",
        ),
        (
            '+++\ntitle = "T"\nrequires = "flask"\n+++\n',
            3,
            "'requires' must be a list of importable module names",
        ),
        (
            '+++\ntitle = "T"\nrequires = ["flask[async]"]\n+++\n',
            3,
            "'requires' must be a list of importable module names",
        ),
        (
            FRONT + "\n## Title\n\nProse only.\n",
            5,
            "step 'Title' has no ```step block right after its heading",
        ),
        (
            FRONT + "\n" + STEP,
            5,
            "```step block is not right after a '## ' step heading",
        ),
        (
            FRONT + '## A\n```step\nsymbol = "m:f"\n```\n',
            5,
            "step block of 'A' has no 'id'",
        ),
        (
            FRONT + '## A\n```step\nid = "a"\n```\n',
            5,
            "step block of 'A' has no 'symbol'",
        ),
        (
            FRONT + '## A\n```step\nid = "a"\nsymbol = "m:f()"\n```\n',
            7,
            "symbol 'm:f()' is not of the form 'module:qualname'",
        ),
        (
            FRONT + '## A\n```step\nid = "a"\nsymbol = "m:f"\nfocus = 3\n```\n',
            8,
            "'focus' must be a non-empty string or a list of them",
        ),
        (
            FRONT + '## A\n```step\nid = "a"\nsymbol = "m:f"\nfokus = "x"\n```\n',
            8,
            "unknown key 'fokus' (known: also, chain, counterpart, focus, id, phase, "
            "symbol)",
        ),
        (
            FRONT + "## A\n" + STEP + "## B\n" + STEP,
            9,
            "duplicate step id 's' (first used on line 4)",
        ),
        # An unclosed step block runs to the end of the file, and TOML sees it all.
        (
            FRONT + '## A\n```step\nid = "a"\n\nProse\n',
            8,
            "bad TOML in step block of 'A': Expected '=' after a key in a key/value "
            "pair",
        ),
    ],
)
def test_parse_tour_rejects(text: str, line: int, message: str) -> None:
    with pytest.raises(ContentError) as raised:
        parse_tour(text, Path("t.md"))
    assert (raised.value.line, raised.value.message) == (line, message)
    assert str(raised.value) == f"t.md:{line}: {message}"


def test_load_tour_rejects_a_file_name_that_is_not_a_slug(tmp_path: Path) -> None:
    path = tmp_path / "Bad Name.md"
    path.write_text(FRONT, encoding="utf-8")
    with pytest.raises(ContentError, match="file name 'Bad Name' is not a slug"):
        load_tour(path)


def test_load_tours_rejects_duplicate_tour_ids(tmp_path: Path) -> None:
    for name in ("a", "b"):
        text = f'+++\nid = "twin"\ntitle = "{name}"\n+++\n'
        (tmp_path / f"{name}.md").write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as raised:
        load_tours(tmp_path)
    assert str(raised.value) == (
        f"{tmp_path / 'b.md'}:1: duplicate tour id 'twin' (also used by "
        f"{tmp_path / 'a.md'})"
    )


@pytest.mark.parametrize(
    ("argument", "environment", "expected"),
    [
        ("given", "from-env", Path("given")),
        (None, "from-env", Path("from-env")),
        (None, None, Path("content")),
    ],
)
def test_content_directory_prefers_argument_then_environment(
    monkeypatch: pytest.MonkeyPatch,
    argument: str | None,
    environment: str | None,
    expected: Path,
) -> None:
    monkeypatch.delenv("WALKTHROUGH_CONTENT", raising=False)
    if environment is not None:
        monkeypatch.setenv("WALKTHROUGH_CONTENT", environment)
    assert content_directory(argument) == expected


@pytest.mark.parametrize(
    ("front", "requires"),
    [
        ('title = "T"', ()),
        ('title = "T"\nrequires = []', ()),
        ('title = "T"\nrequires = ["flask"]', ("flask",)),
        (
            'title = "T"\nrequires = ["flask", "werkzeug.serving"]',
            ("flask", "werkzeug.serving"),
        ),
    ],
)
def test_parse_tour_reads_the_packages_a_tour_requires(
    front: str, requires: tuple[str, ...]
) -> None:
    tour = parse_tour(f"+++\n{front}\n+++\n", Path("t.md"))
    assert tour.requires == requires
