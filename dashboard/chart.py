"""Geometry of the server-drawn bar chart: Decimal in, SVG coordinates (as strings) out.

Amounts never become floats: heights are Decimal fractions of the plot, and only the
resulting pixel numbers are formatted, with a dot whatever the locale.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 600
HEIGHT = 220
TOP = 16
BOTTOM = 28
SIDE = 8
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM
BAR_SHARE = Decimal("0.7")
PIXEL = Decimal("0.1")


def _px(value: Decimal) -> str:
    return f"{value.quantize(PIXEL):f}"


@dataclass(frozen=True)
class Bar:
    month: dt.date
    amount: Decimal
    x: str
    y: str
    width: str
    height: str
    label_x: str
    negative: bool


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    baseline_y: str
    label_y: str
    top_amount: Decimal
    is_empty: bool


def bar_chart(*, points: list[tuple[dt.date, Decimal]]) -> BarChart:
    """One bar per month; negative months (more reversed than paid) hang below the baseline."""
    amounts = [amount for _, amount in points]
    top = max([Decimal(0), *amounts])
    bottom = min([Decimal(0), *amounts])
    span = top - bottom
    baseline = TOP + (Decimal(PLOT_HEIGHT) * top / span if span else Decimal(PLOT_HEIGHT))
    slot = Decimal(WIDTH - 2 * SIDE) / max(len(points), 1)
    bar_width = slot * BAR_SHARE

    bars = []
    for index, (month, amount) in enumerate(points):
        height = Decimal(PLOT_HEIGHT) * abs(amount) / span if span else Decimal(0)
        left = SIDE + slot * index + (slot - bar_width) / 2
        bars.append(
            Bar(
                month=month,
                amount=amount,
                x=_px(left),
                y=_px(baseline - height if amount >= 0 else baseline),
                width=_px(bar_width),
                height=_px(height),
                label_x=_px(left + bar_width / 2),
                negative=amount < 0,
            )
        )
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        baseline_y=_px(baseline),
        label_y=str(HEIGHT - 8),
        top_amount=top,
        is_empty=not any(amounts),
    )
