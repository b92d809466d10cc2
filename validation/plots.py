"""The run's figures: fit vs measured scatter plots (TV, delay), errors along the steps axis,
and a grid of replayed requests. Each reads the replayed rows and writes one PNG in `out`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from testbed.config import EdgeConfig
from validation.comparison import GOAL_DELAY_MAPE, GOAL_TV_MAPE, error_stats, pct_errors
from validation.generation import held_out_images


def contexts_of(df, cfg: EdgeConfig, n_fits: dict[str, int | None]) -> dict[str, dict]:
    """Per model: A1, A3 and the fit's trajectory schedule N (`n_fits`; None under respaced),
    the plot markers; a model without replayed rows gets no N marker."""
    out = {}
    for m, mid in enumerate(cfg.model_ids):
        n_fit = n_fits[mid] if (df.model_id == mid).any() else None
        out[mid] = {"A1": cfg.A1_steps[m], "A3": cfg.A3_steps[m], "n_fit": n_fit}
    return out


def _footer(run_doc: dict) -> str:
    ident, prov = run_doc["identity"], run_doc["provenance"]
    who = (
        f"checkpoint {ident['checkpoint']}" if ident["checkpoint"] else f"baseline {ident['algo']}"
    )
    return (
        f"{run_doc['policy']} ({who}); fitted {Path(run_doc['fitted_file']).name} "
        f"sha256 {ident['fitted_sha256'][:12]}; seed {ident['seed']}; "
        f"{prov['device']['cpu']}, torch {prov['torch_version']}, "
        f"{prov['device']['torch_threads']} thread(s); commit {(prov.get('git_commit') or '?')[:10]}"
    )


def _panels(n: int, rows: int = 1, size: float = 3.4):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, n, figsize=(size * n + 0.6, size * rows + 0.9), squeeze=False)
    return fig, axes


def _legend_entries(axes) -> tuple[list, list[str]]:
    """The axes' legend handles and labels, each label once, in first-seen order."""
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    return handles, labels


# --------------------------------------------------------------------------- scatter


def _scatter_points(ax, sub, pred: str, meas: str, steps, cpu: bool) -> None:
    """The requests of one model: CPU-time diagnostic, edge (coloured by n), cloud."""
    edge, cloud = sub[sub.served == "edge"], sub[sub.served == "cloud"]
    if cpu:
        ax.scatter(
            sub.cpu_s,
            sub[pred],
            s=14,
            facecolors="none",
            edgecolors="gray",
            lw=0.6,
            label="same requests at their CPU time (diagnostic)",
        )
    if not edge.empty:
        ax.scatter(
            edge[meas],
            edge[pred],
            c=edge.n,
            cmap="viridis",
            norm=steps,
            s=22,
            label="edge (colour = n)",
        )
    if not cloud.empty:
        ax.scatter(
            cloud[meas], cloud[pred], marker="x", color="tab:red", s=26, label="cloud (n = A3)"
        )


def _scatter_panel(ax, sub, pred: str, meas: str, goal: float, steps, cpu: bool) -> None:
    """One model's panel: the identity line, the goal band, the requests and their errors."""
    xs = [sub[meas], sub.cpu_s] if cpu else [sub[meas]]
    lo = 0.9 * min(sub[pred].min(), *(x.min() for x in xs))
    hi = 1.1 * max(sub[pred].max(), *(x.max() for x in xs))
    line = np.linspace(lo, hi, 50)
    ax.plot(line, line, color="black", lw=0.8, label="prediction = measurement")
    ax.fill_between(
        line,
        line * (1 - goal / 100),
        line * (1 + goal / 100),
        color="green",
        alpha=0.12,
        label=f"within {goal:.0f} % (goal)",
    )
    _scatter_points(ax, sub, pred, meas, steps, cpu)
    stats = error_stats(sub[pred], sub[meas])
    ax.text(
        0.03,
        0.97,
        f"{len(sub)} requests\nMAPE {stats['mape']:.1f} %\nbias {stats['bias']:+.1f} %",
        transform=ax.transAxes,
        va="top",
        fontsize=8,
    )
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)


def _scatter(
    df, cfg, run_doc, out: Path, pred: str, meas: str, goal: float, label: str, name, cpu=False
):
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    fig, axes = _panels(cfg.n_models)
    steps = Normalize(0, max(1, int(df.n.max())))
    for ax, mid in zip(axes[0], cfg.model_ids, strict=True):
        sub = df[df.model_id == mid]
        if (df.served == "edge").any():
            fig.colorbar(
                ScalarMappable(steps, "viridis"), ax=ax, fraction=0.046, pad=0.02
            ).set_label("steps n (edge)", fontsize=8)
        ax.set_title(mid, fontsize=10)
        ax.set_xlabel(f"measured {label}")
        ax.set_ylabel(f"fit-predicted {label}")
        if sub.empty:
            ax.text(0.5, 0.5, "no request", ha="center", va="center", transform=ax.transAxes)
            continue
        _scatter_panel(ax, sub, pred, meas, goal, steps, cpu)
    handles, labels = _legend_entries(axes[0])
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, bbox_to_anchor=(0.5, 0.04))
    fig.suptitle(
        f"Closed-loop check of the fitted {label.split(' [')[0]} model: every replayed request",
        fontsize=11,
    )
    fig.text(0.5, 0.005, _footer(run_doc), ha="center", fontsize=6.5, color="dimgray")
    fig.tight_layout(rect=(0, 0.12, 1, 0.95))
    fig.savefig(out / name, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- errors vs steps


def _steps_markers(ax, c: dict) -> None:
    """Dashed lines at A1, A3 and the schedule N of one model."""
    for x, name in ((c["A1"], "A1"), (c["A3"], "A3"), (c["n_fit"], "N")):
        if x is not None:
            ax.axvline(x, color="gray", ls="--", lw=0.8)
            ax.text(
                x,
                1.0,
                name,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=7,
                color="gray",
            )


def _error_panel(ax, sub, c: dict, pred: str, meas: str, goal: float, label: str) -> None:
    """One model's percentage errors of one quantity against n."""
    ax.axhspan(-goal, goal, color="green", alpha=0.12)
    ax.axhline(0, color="black", lw=0.8)
    _steps_markers(ax, c)
    if label == "delay" and not sub.empty:
        ax.scatter(
            sub.n,
            pct_errors(sub[pred], sub.cpu_s),
            s=14,
            facecolors="none",
            edgecolors="gray",
            lw=0.6,
            label="delay vs CPU time (diagnostic)",
        )
    for where, mk, color in (("edge", "o", "tab:blue"), ("cloud", "x", "tab:red")):
        part = sub[sub.served == where]
        if not part.empty:
            ax.scatter(
                part.n,
                pct_errors(part[pred], part[meas]),
                marker=mk,
                s=18,
                color=color,
                label=where,
            )
    ax.set_xlim(left=0)
    ax.set_xlabel("steps n")
    ax.set_ylabel(f"{label} error (fit - measured) / measured [%]", fontsize=8)


def _error_vs_steps(df, cfg, run_doc, ctx, out: Path) -> None:
    import matplotlib.pyplot as plt

    fig, axes = _panels(cfg.n_models, rows=2)
    quantities = (
        ("pred_tv", "meas_tv", GOAL_TV_MAPE, "TV"),
        ("pred_delay_s", "meas_delay_s", GOAL_DELAY_MAPE, "delay"),
    )
    for j, mid in enumerate(cfg.model_ids):
        sub = df[df.model_id == mid]
        for i, (pred, meas, goal, label) in enumerate(quantities):
            _error_panel(axes[i][j], sub, ctx[mid], pred, meas, goal, label)
            if i == 0:
                axes[i][j].set_title(mid, fontsize=10, pad=12)
    handles, labels = _legend_entries(axes.ravel())
    if handles:
        fig.legend(handles, labels, loc="upper right", fontsize=8)
    fig.suptitle(
        "Where along the steps axis the fits (7) and (8) miss (green: the goal band)", fontsize=11
    )
    fig.text(0.5, 0.005, _footer(run_doc), ha="center", fontsize=6.5, color="dimgray")
    fig.tight_layout(rect=(0, 0.03, 1, 0.95))
    fig.savefig(out / "error-vs-steps.png", dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- grid


def pick_grid_rows(df, k: int):
    """Up to k requests spread over models and step counts (deterministic)."""
    if k == 0 or df.empty:
        return df.iloc[:0]
    ordered = df.sort_values(["n", "key"]).reset_index(drop=True)
    idx = np.unique(np.linspace(0, len(ordered) - 1, min(k, len(ordered))).round().astype(int))
    return ordered.iloc[idx]


def _held_out_lookup(rows, out: Path) -> dict:
    """(model_id, image_id) -> the clean image (C, H, W) in [0, 1], from the image sources."""
    from profiling.models import load_unet

    found = {}
    for (mid, spec), part in rows.groupby(["model_id", "checkpoint"]):
        _, info = load_unet(spec, workdir=out)
        wanted = set(part.image_id)
        for image_id, img in held_out_images(spec, info):
            if image_id in wanted:
                found[(mid, image_id)] = img
    return found


def _grid_column(axes, j: int, r, clean, out: Path) -> None:
    """Request r in column j: the held-out image, the masked input, the delivered image."""
    from PIL import Image

    from profiling.masks import make_mask

    family, seed = r.mask_id.rsplit("-s", 1)
    mask = make_mask(family, clean.shape[1], int(seed))[0]
    shown = clean.transpose(1, 2, 0).copy()
    masked = shown.copy()
    masked[mask < 0.5] = 0.5
    delivered = np.asarray(Image.open(out / "outputs" / f"{r.key}.png")) / 255.0
    for i, (img, title) in enumerate(
        (
            (shown, f"{r.model_id}\n{r.image_id}"),
            (masked, f"{r.served}, n = {r.n}"),
            (
                delivered,
                f"TV {r.meas_tv:.0f} (fit {r.pred_tv:.0f})\n"
                f"{r.meas_delay_s:.2f} s (fit {r.pred_delay_s:.2f})",
            ),
        )
    ):
        ax = axes[i][j]
        ax.imshow(img, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if i < 2:
            ax.set_title(title, fontsize=7)
        else:  # below the image, so it never covers the row above
            ax.set_xlabel(title, fontsize=7)


def _grid(df, cfg, run_doc, out: Path, k: int) -> None:
    import matplotlib.pyplot as plt

    rows = pick_grid_rows(df, k)
    if rows.empty:
        return
    images = _held_out_lookup(rows, out)
    fig, axes = plt.subplots(3, len(rows), figsize=(1.9 * len(rows) + 0.4, 7.6), squeeze=False)
    for j, (_, r) in enumerate(rows.iterrows()):
        _grid_column(axes, j, r, images[(r.model_id, r.image_id)], out)
    for i, name in enumerate(("held-out image", "masked input (grey)", "delivered")):
        axes[i][0].set_ylabel(name, fontsize=8)
    fig.suptitle("Replayed requests at their allocated steps (sorted by n)", fontsize=10)
    fig.text(0.5, 0.005, _footer(run_doc), ha="center", fontsize=6, color="dimgray")
    fig.tight_layout(rect=(0, 0.02, 1, 0.96), h_pad=2.0)
    fig.savefig(out / "grid.png", dpi=120)
    plt.close(fig)


def write_plots(df, cfg, run_doc, n_fits: dict[str, int | None], out: Path, grid: int) -> None:
    """scatter-tv.png, scatter-delay.png, error-vs-steps.png and grid.png in `out`; `n_fits`:
    each model's trajectory schedule N (`fits.fit_context`)."""
    _scatter(df, cfg, run_doc, out, "pred_tv", "meas_tv", GOAL_TV_MAPE, "TV", "scatter-tv.png")
    _scatter(
        df,
        cfg,
        run_doc,
        out,
        "pred_delay_s",
        "meas_delay_s",
        GOAL_DELAY_MAPE,
        "delay [s]",
        "scatter-delay.png",
        cpu=True,
    )
    _error_vs_steps(df, cfg, run_doc, contexts_of(df, cfg, n_fits), out)
    _grid(df, cfg, run_doc, out, grid)
