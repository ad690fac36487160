"""The dataset's main charts as SVG files (matplotlib): written next to the dataset card, which embeds
them, so that the Hub page shows them without JavaScript, and served by `bayling-data view`.

matplotlib because it writes plain, self-contained SVG with no browser or JavaScript involved, and is
the best-kept plotting library there is; labels are language codes and reasons (ASCII), so no font
beyond the default one is needed.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

TOP = 25  # bars per chart at most
COLOR = "#3b6ea8"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no display
    matplotlib.rcParams.update({"svg.hashsalt": "bayling-data", "font.size": 9, "svg.fonttype": "none"})
    import matplotlib.pyplot as plt

    return plt


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    _pyplot().close(figure)
    return buffer.getvalue()


def bars(counts: dict[str, int], title: str, xlabel: str = "records") -> str | None:
    """A horizontal bar chart of the largest counts (None when there is nothing to draw)."""
    if not counts:
        return None
    plt = _pyplot()
    items = sorted(counts.items(), key=lambda item: -item[1])[:TOP][::-1]
    figure, axes = plt.subplots(figsize=(6.4, 0.8 + 0.24 * len(items)))
    axes.barh([name for name, _ in items], [count for _, count in items], color=COLOR)
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def direction_matrix(directions: dict[str, int]) -> str | None:
    """A source x target heat map of kept records (from `src -> tgt` counts)."""
    pairs = {tuple(key.split(" -> ", 1)): count for key, count in directions.items() if " -> " in key}
    if not pairs:
        return None
    plt = _pyplot()
    sources = sorted({s for s, _ in pairs})[:TOP]
    targets = sorted({t for _, t in pairs})[:TOP]
    grid = [[pairs.get((s, t), 0) for t in targets] for s in sources]
    size = 1.6 + 0.42 * max(len(sources), len(targets))
    figure, axes = plt.subplots(figsize=(size + 1.2, size))
    image = axes.imshow(grid, cmap="Blues")
    axes.set_xticks(range(len(targets)), targets, rotation=60, ha="right")
    axes.set_yticks(range(len(sources)), sources)
    axes.set_xlabel("target")
    axes.set_ylabel("source")
    axes.set_title("Kept records per direction")
    if len(sources) * len(targets) <= 100:
        peak = max(max(row) for row in grid) or 1
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                axes.text(j, i, str(value), ha="center", va="center", color="white" if value > peak / 2 else "black")
    figure.colorbar(image, ax=axes, shrink=0.7)
    return _svg(figure)


def lengths(by_language: dict[str, list[int]]) -> str | None:
    """Box plots of answer lengths (characters) per language."""
    data = {lang: values for lang, values in by_language.items() if values}
    if not data:
        return None
    plt = _pyplot()
    names = sorted(data)[:TOP]
    figure, axes = plt.subplots(figsize=(6.4, 0.8 + 0.28 * len(names)))
    axes.boxplot([data[name] for name in names], vert=False, showfliers=False)
    axes.set_yticks(range(1, len(names) + 1), names)
    axes.set_xlabel("characters of assistant turns per record")
    axes.set_title("Answer length per target language")
    return _svg(figure)


# The card's charts: file stem -> (title, the stats table drawn).
CARD_CHARTS = {
    "languages": ("Kept records per language", "language"),
    "directions": ("Kept records per direction", "direction"),
    "turn_types": ("Turn types of kept records", "turn_type"),
    "reject_steps": ("Rejected records per filter step", "rejected_reason"),
}


def card_chart_names(stats: dict[str, Any]) -> list[str]:
    """The card's charts that a run's stats have data for (nothing drawn)."""
    counts = stats.get("counts", {})
    return [stem for stem, (_, table) in CARD_CHARTS.items() if counts.get(table)]


def card_chart(stats: dict[str, Any], stem: str) -> str | None:
    """One of the card's charts as SVG (None: no data, or no such chart)."""
    if stem not in CARD_CHARTS:
        return None
    title, table = CARD_CHARTS[stem]
    counts = stats.get("counts", {}).get(table, {})
    if stem == "directions":
        return direction_matrix(counts)
    if stem == "reject_steps":
        steps: dict[str, int] = {}
        for reason, count in counts.items():
            step = reason.split(":", 1)[0]
            steps[step] = steps.get(step, 0) + count
        return bars(steps, title)
    return bars(counts, title, "turns" if stem == "turn_types" else "records")


def write_card_charts(folder: Path, stats: dict[str, Any]) -> list[tuple[str, str]]:
    """Write the card's charts as `charts/<stem>.svg`; returns (title, relative path) of each."""
    written = []
    for stem in card_chart_names(stats):
        svg = card_chart(stats, stem)
        if svg is None:
            continue
        (folder / "charts").mkdir(exist_ok=True)
        (folder / "charts" / f"{stem}.svg").write_text(svg, "utf-8")
        written.append((CARD_CHARTS[stem][0], f"charts/{stem}.svg"))
    return written
