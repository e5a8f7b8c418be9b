"""Tables that fit the terminal: columns sized to its width, long values cut with "…" (nothing cut when piped)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence

# -- tables --------------------------------------------------------------------------------------------------------
# Columns of `list` (REQUEST, TYPE, STATUS, CHANNEL, DUE, DAYS LEFT); when the table is too wide the separator
# becomes one space, then these groups shrink in turn, widest column first, each column down to its minimum.
SHRINK: tuple[dict[int, int], ...] = ({3: 4, 4: 11}, {1: 5, 2: 5}, {0: 8}, {5: 5})
SEPARATOR = "  "


def terminal_width() -> int | None:
    """Columns of the terminal ($COLUMNS first), or None when unknown (not a terminal): nothing is cut then."""
    columns = shutil.get_terminal_size(fallback=(0, 0)).columns
    return columns if columns > 0 else None


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, width: int | None) -> list[str]:
    """Aligned columns within `width` characters: long values are cut with "…", never wrapped."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    separator = SEPARATOR

    def total() -> int:
        return sum(widths) + len(separator) * (len(widths) - 1)

    if width is not None and total() > width:
        separator = " "
        for group in SHRINK:
            while total() > width:
                wider = [index for index, least in group.items() if widths[index] > least]
                if not wider:
                    break
                widths[max(wider, key=lambda index: widths[index])] -= 1
    lines = []
    for row in (header, *rows):
        cells = [cut(cell, size).ljust(size) for cell, size in zip(row, widths, strict=True)]
        line = separator.join(cells).rstrip()
        lines.append(line if width is None else cut(line, width))
    return lines

