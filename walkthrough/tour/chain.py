"""Lay out the picture of the whole chain: one lane per tour, a box per stage.

The site draws it as inline SVG on the index page; every box is a link to
its step. Only steps that name a ``chain`` label appear, so an author
chooses which stages make the big picture. Pure: tours in, boxes out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from walkthrough.tour.content import Step, Tour

BOX_WIDTH = 132
BOX_HEIGHT = 30
GAP_X = 18
GAP_Y = 16
LANE_LABEL_HEIGHT = 26
LANE_GAP = 22
BOXES_PER_ROW = 8
# A phone's picture: two boxes a row, so it fits the screen at a readable size
# instead of scrolling sideways with most of each lane out of sight.
NARROW_BOXES_PER_ROW = 2
MARGIN = 8


@dataclass(frozen=True)
class ChainBox:
    """One stage in the picture: where it sits and which step it opens."""

    tour_id: str
    step_id: str
    label: str
    title: str
    x: int
    y: int


@dataclass(frozen=True)
class ChainLane:
    """One tour's row (or rows) of boxes, with the lines joining them."""

    tour_id: str
    title: str
    label_y: int
    boxes: tuple[ChainBox, ...]
    edges: tuple[str, ...]


@dataclass(frozen=True)
class ChainPicture:
    """Everything the template needs to draw the SVG."""

    width: int
    height: int
    lanes: tuple[ChainLane, ...]
    box_width: int = BOX_WIDTH
    box_height: int = BOX_HEIGHT


def layout_chain(
    tours: Iterable[Tour], *, per_row: int = BOXES_PER_ROW
) -> ChainPicture:
    """Place each tour's chain stages left to right, wrapping long lanes."""
    lanes = []
    top = MARGIN
    for tour in tours:
        stages = [step for step in tour.steps if step.chain]
        if not stages:
            continue
        boxes = tuple(
            place_box(tour, step, index, top, per_row)
            for index, step in enumerate(stages)
        )
        lanes.append(ChainLane(tour.id, tour.title, top + 16, boxes, edges(boxes)))
        rows = (len(boxes) + per_row - 1) // per_row
        top += LANE_LABEL_HEIGHT + rows * (BOX_HEIGHT + GAP_Y) + LANE_GAP
    width = 2 * MARGIN + per_row * BOX_WIDTH + (per_row - 1) * GAP_X
    return ChainPicture(width=width, height=top, lanes=tuple(lanes))


def place_box(tour: Tour, step: Step, index: int, top: int, per_row: int) -> ChainBox:
    """Put the ``index``-th stage of a lane in its row and column."""
    row, column = divmod(index, per_row)
    x = MARGIN + column * (BOX_WIDTH + GAP_X)
    y = top + LANE_LABEL_HEIGHT + row * (BOX_HEIGHT + GAP_Y)
    return ChainBox(tour.id, step.id, str(step.chain), step.title, x, y)


def edges(boxes: tuple[ChainBox, ...]) -> tuple[str, ...]:
    """Return SVG path data joining each box to the next, across row breaks."""
    paths = []
    for current, following in zip(boxes, boxes[1:], strict=False):
        start_x = current.x + BOX_WIDTH
        middle_y = current.y + BOX_HEIGHT // 2
        if following.y == current.y:
            paths.append(f"M{start_x} {middle_y} H{following.x}")
            continue
        # Wrap to the next row: down from the box, back left, down into the next.
        below = current.y + BOX_HEIGHT + GAP_Y // 2
        centre_x = current.x + BOX_WIDTH // 2
        target_x = following.x + BOX_WIDTH // 2
        bottom = current.y + BOX_HEIGHT
        paths.append(f"M{centre_x} {bottom} V{below} H{target_x} V{following.y}")
    return tuple(paths)
