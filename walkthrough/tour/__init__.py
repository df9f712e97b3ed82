"""The walkthrough engine: tours from content, live source, rendered HTML.

`content` parses tour files, `source` resolves symbols and highlights them, `render`
turns prose and code into HTML and caches it in a `TourLibrary`, and `check` validates
a content directory. The engine knows content and source, not HTTP or URLs.
"""

from __future__ import annotations

from walkthrough.tour.check import Fault, check_content
from walkthrough.tour.content import ContentError, Step, Tour, load_tour, load_tours
from walkthrough.tour.render import (
    ProseRenderer,
    RenderedStep,
    TourLibrary,
    TourLookupError,
    make_environment,
)
from walkthrough.tour.source import (
    SourceCode,
    StepRef,
    SymbolError,
    code_object,
    code_objects,
    focus_lines,
    highlight,
    resolve_symbol,
    stylesheet,
)

__all__ = [
    "ContentError",
    "Fault",
    "ProseRenderer",
    "RenderedStep",
    "SourceCode",
    "Step",
    "StepRef",
    "SymbolError",
    "Tour",
    "TourLibrary",
    "TourLookupError",
    "check_content",
    "code_object",
    "code_objects",
    "focus_lines",
    "highlight",
    "load_tour",
    "load_tours",
    "make_environment",
    "resolve_symbol",
    "stylesheet",
]
