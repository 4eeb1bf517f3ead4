"""The planning's legend: each day state's label and colour, and the text colour that reads on it.

Editors set the labels and colours in the portal's settings (``legend_<state>_label`` /
``legend_<state>_colour``); ``build_legend`` falls back to the defaults below. The planning
(``planning.build_planning``), its page and its API show the same legend.
"""

import functools
from dataclasses import dataclass

from .models.bookings import DayState
from .validators import HEX_COLOUR_RE

# Default legend colours, light enough for black text (contrast above 7:1, WCAG AAA); editors
# change them in the portal's settings. The label is the state's own (translated) name.
DEFAULT_LEGEND_COLOURS = {
    DayState.ENROLLED: "#F0F0F0",
    DayState.BOOKING_REQUESTED: "#FFE58F",
    DayState.BOOKED: "#B7EB8F",
    DayState.ABSENCE_REQUESTED: "#FFD591",
    DayState.ABSENT: "#BAE0FF",
    DayState.REFUSED: "#FFA39E",
    DayState.WAITING_LIST: "#D3ADF7",
    DayState.CLOSED: "#BFBFBF",
}


@dataclass(frozen=True, slots=True)
class LegendEntry:
    state: str
    label: str
    colour: str
    text_colour: str  # black or white, whichever reads better on ``colour``


def relative_luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@functools.lru_cache(maxsize=256)
def readable_text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with ``background`` (#RRGGBB)."""
    if contrast_ratio(background, "#000000") >= contrast_ratio(background, "#FFFFFF"):
        return "#000000"
    return "#FFFFFF"


def build_legend(portal_settings=None) -> dict[str, LegendEntry]:
    """Every state with its label and colour: the portal's settings where an editor set them
    (``legend_<state>_label`` / ``legend_<state>_colour``), the defaults otherwise."""
    legend = {}
    for state in DayState:
        label = getattr(portal_settings, f"legend_{state.value}_label", None) or state.label
        colour = getattr(portal_settings, f"legend_{state.value}_colour", None)
        if not HEX_COLOUR_RE.match(colour or ""):
            colour = DEFAULT_LEGEND_COLOURS[state]
        legend[state.value] = LegendEntry(state.value, label, colour, readable_text_colour(colour))
    return legend


LEGEND_FIELDS = tuple(
    f"legend_{state.value}_{part}" for state in DayState for part in ("label", "colour")
)
