"""Link styles: where each page points, served and exported.

The export's links are what a reader clicks on a disk or a file host, with
no server to redirect a near miss, so each one is pinned here.
"""

from __future__ import annotations

import pytest

from walkthrough.links import ExportedLinks, exported_step_link, served_step_link

FROM_STEP = "tours/request/accept.html"


@pytest.mark.parametrize(
    ("endpoint", "values", "link"),
    [
        ("index", {}, "../../index.html"),
        ("tour", {"tour_id": "routing"}, "../routing/index.html"),
        ("step", {"tour_id": "request", "step_id": "environ"}, "environ.html"),
        ("step", {"tour_id": "startup", "step_id": "bind"}, "../startup/bind.html"),
        (
            "embed_step",
            {"tour_id": "request", "step_id": "accept"},
            "../../embed/tours/request/accept.html",
        ),
        ("probe", {"mode": "startup"}, "../../probe.html?mode=startup"),
        ("search", {}, "../../search.html"),
        ("static", {"filename": "site.css"}, "../../static/site.css"),
        ("highlight_css", {}, "../../static/highlight.css"),
        ("favicon", {}, "../../static/favicon.svg"),
        ("search_index", {}, "../../data/search-index.js"),
    ],
)
def test_an_exported_step_page_links_to_files(endpoint, values, link) -> None:
    assert ExportedLinks(FROM_STEP).url_for(endpoint, **values) == link


def test_an_embedded_page_links_its_siblings_inside_the_embed() -> None:
    links = ExportedLinks("embed/tours/request/index.html")
    assert links.step_href("accept") == "accept.html"
    assert links.url_for("step", tour_id="request", step_id="accept") == (
        "../../../tours/request/accept.html"
    )


def test_the_not_found_page_links_absolutely_under_the_base_url() -> None:
    links = ExportedLinks("404.html", base_url="/team/walkthrough/")
    assert links.url_for("index") == "/team/walkthrough/index.html"
    assert links.asset_url("site.css") == "/team/walkthrough/static/site.css"


@pytest.mark.parametrize("endpoint", ["probe_stream", "probe_run", "healthz"])
def test_a_server_only_endpoint_has_no_file(endpoint) -> None:
    with pytest.raises(LookupError, match=endpoint):
        ExportedLinks(FROM_STEP).url_for(endpoint)


def test_prose_links_between_steps_are_relative_both_ways() -> None:
    assert served_step_link("routing", "trie") == "../routing/trie"
    assert served_step_link("routing", None) == "../routing/"
    assert exported_step_link("routing", "trie") == "../routing/trie.html"
    assert exported_step_link("routing", None) == "../routing/index.html"
    assert exported_step_link("a b", "c") == "../a%20b/c.html"
