"""Charts of corpus stats: one in the terminal (plotext), one as a PNG (matplotlib)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def terminal_chart(stats: dict[str, Any], width: int = 80, color: bool = True) -> str:
    """The chart as text; `color=False` (off a terminal, NO_COLOR) leaves out the ANSI colour codes."""
    import plotext as plt

    years = [str(y["year"]) for y in stats["by_year"]]
    plt.clear_figure()
    plt.theme("clear")
    plt.plotsize(width, 15)
    plt.stacked_bar(
        years,
        [[y["mine"] for y in stats["by_year"]], [y["messages"] - y["mine"] for y in stats["by_year"]]],
        labels=["you", "others"],
    )
    plt.title("messages per year")
    chart = plt.build()
    return chart if color else plt.uncolorize(chart)


def save_png(stats: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    fig, (ax_year, ax_contact) = plt.subplots(1, 2, figsize=(12, 4.5))
    years = [str(y["year"]) for y in stats["by_year"]]
    mine = [y["mine"] for y in stats["by_year"]]
    others = [y["messages"] - y["mine"] for y in stats["by_year"]]
    ax_year.bar(years, mine, label="you", color="#3b82f6")
    ax_year.bar(years, others, bottom=mine, label="others", color="#cbd5e1")
    ax_year.set_title("Messages per year")
    ax_year.legend()
    top = [c for c in stats["by_contact"] if not c["is_me"]][:10][::-1]
    ax_contact.barh([c["name"] + (" (excluded)" if c["excluded"] else "") for c in top],
                    [c["messages"] for c in top], color="#64748b")
    ax_contact.set_title("Top contacts by messages")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
