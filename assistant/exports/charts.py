"""Charts drawn offline with matplotlib (Agg, no display, no CDN), French labels, readable in black and white:
the numbers are written in every cell and the grey scale carries the same information as the colour."""

from __future__ import annotations

from pathlib import Path

from assistant.domain.vocabulary import LEVEL_FR


def _pyplot():  # noqa: ANN202
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, path: Path) -> Path:  # noqa: ANN001
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def agreement_heatmap(stats, path: Path) -> Path:  # noqa: ANN001 - grid_stats.Stats
    """One heatmap per criterion: the tool's proposed level (rows) × the juror's decision (columns), with
    the count in each cell, and κ with its number of decisions in the title. Criteria under the « ne plus
    pré-remplir » rule say so."""
    plt = _pyplot()
    from assistant.records.grid_stats import ORDERED_LEVELS

    criteria = [c for c in stats.criteria if c.id in stats.confusion_by_criterion] or []
    n = max(len(criteria), 1)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.9 * rows), squeeze=False)
    labels = [LEVEL_FR[lv] for lv in ORDERED_LEVELS]
    for ax in axes.ravel():
        ax.axis("off")
    for ax, crit in zip(axes.ravel(), criteria, strict=False):
        table = stats.confusion_by_criterion[crit.id]
        grid = [[table[t][j] for j in ORDERED_LEVELS] for t in ORDERED_LEVELS]
        top = max(max(r) for r in grid) or 1
        ax.axis("on")
        ax.imshow(grid, cmap="Greys", vmin=0, vmax=top * 1.4)
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                ax.text(j, i, str(value), ha="center", va="center", fontsize=12,
                        color="white" if value > top * 0.7 else "black", fontweight="bold" if i == j else "normal")
        ax.set_xticks(range(3), labels, fontsize=8, rotation=15)
        ax.set_yticks(range(3), labels, fontsize=8)
        ax.set_xlabel("décision du jury", fontsize=9)
        ax.set_ylabel("proposition de l'outil", fontsize=9)
        kappa = "—" if crit.kappa is None else f"{crit.kappa:.2f}"
        flag = "\n⚠ ne plus pré-remplir" if crit.do_not_prefill else ""
        ax.set_title(f"{crit.id} — κ {kappa} ({crit.decisions} décisions){flag}", fontsize=10)
    scope = f"unité {stats.unit}" if stats.unit else "toutes unités"
    fig.suptitle(f"Accord outil / jury, {stats.grids} grille(s) signée(s) — {scope}", fontsize=12)
    return _save(plt, fig, path)


def progress_chart(progress, path: Path) -> Path:  # noqa: ANN001 - assessment.progress.Progress
    """One bar per draft of the unit: how many indicators are « démontré », « partiel », « non démontré »,
    stacked, with hatches and counts so that it reads in black and white."""
    plt = _pyplot()
    drafts = progress.drafts
    parts = [("evidenced", "démontré", "#2e7d32", ""), ("partial", "partiel", "#f0b400", "//"),
             ("not_evidenced", "non démontré", "#c62828", "xx")]
    fig, ax = plt.subplots(figsize=(max(4.5, 1.3 * len(drafts) + 2.5), 3.6))
    bottoms = [0] * len(drafts)
    x = list(range(len(drafts)))
    for key, label, colour, hatch in parts:
        values = [d.verdicts.get(key, 0) for d in drafts]
        bars = ax.bar(x, values, bottom=bottoms, color=colour, hatch=hatch, edgecolor="black", linewidth=0.6,
                      label=label, width=0.6)
        for bar, v, b in zip(bars, values, bottoms, strict=True):
            if v:
                ax.text(bar.get_x() + bar.get_width() / 2, b + v / 2, str(v), ha="center", va="center",
                        fontsize=9, color="black", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    ax.set_xticks(x, [f"version {d.number}\n{d.created_at[:10]}" for d in drafts], fontsize=8)
    ax.set_ylabel("indicateurs", fontsize=9)
    ax.set_title(f"Progression — {progress.candidate}, unité {progress.unit}", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(plt, fig, path)
