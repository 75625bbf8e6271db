"""A series as one line of text: the chart's alt text in Slack (read by
screen readers, shown where images are not) and what the console prints."""

from __future__ import annotations

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 32) -> str:
    """`width` bars, each the last value of its slice, scaled min to max."""
    if not values:
        return ""
    step = max(1, -(-len(values) // width))
    picked = [values[min(i + step - 1, len(values) - 1)] for i in range(0, len(values), step)]
    low, high = min(picked), max(picked)
    span = (high - low) or 1.0
    return "".join(BARS[round((v - low) / span * (len(BARS) - 1))] for v in picked)


def alt_text(title: str, series: list[tuple[str, list[tuple[float, float]]]]) -> str:
    lines = [title]
    for label, points in series:
        values = [v for _, v in points]
        if values:
            lines.append(f"{label}: {sparkline(values)} {values[0]:g} → {values[-1]:g}")
    return "\n".join(lines)
