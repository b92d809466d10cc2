"""Fig. 3-style figures: per model, (A) TV vs steps and (B) latency vs steps, with every
measurement, the per-step spread across images and the fitted curve (`draw_fig3`, one protocol);
and the TV panels of several protocols side by side, one column per protocol and one row per
model (`draw_protocols`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fitted_models.curves import generation_delay_s, tv_of_steps
from profiling.clocks import delay_values
from profiling.fitting import predicted_breakpoints

AXES = {
    "trajectory": ("step_n", "reverse steps done, n"),
    "respaced": ("steps_N", "schedule length, N"),
    "start": ("step_n", "start index t_T (of the N-step schedule)"),
}
"""protocol -> (steps-axis column, its label)."""


def _spread(x: np.ndarray, y: np.ndarray):
    xs = np.unique(x)
    q = np.array([np.percentile(y[x == v], [10, 50, 90]) for v in xs])
    return xs, q[:, 0], q[:, 1], q[:, 2]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _panel(ax, x, y, res, fn, *, xlabel: str, ylabel: str, title: str) -> None:
    """Measurements, their 10-90 % band and median per step value, and the fit (if any)."""
    ax.scatter(x, y, s=4, alpha=0.25, color="0.45", label="measurements", rasterized=True)
    xs, lo, med, hi = _spread(x, y)
    ax.fill_between(xs, lo, hi, color="tab:blue", alpha=0.2, label="10-90 % across images")
    ax.plot(xs, med, color="tab:blue", lw=1, label="median")
    if res is not None:
        grid = np.linspace(x.min(), x.max(), 400)
        ax.plot(grid, fn(grid, *res.params.values()), color="red", lw=2, label="fit")
        text = ", ".join(f"{k.split('_')[0]}={v:.3g}" for k, v in res.params.items())
        title = f"{title}: {text}  (R²={res.r2:.3f})"
    else:
        title = f"{title}: not fitted"
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)


def _save(fig, plt, path: Path, title: str) -> Path:
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def draw_fig3(
    fits: dict,
    protocol: str,
    tv_column: str,
    path: Path,
    *,
    title: str = "",
    delay_clock: str = "wall",
) -> Path:
    """Per model, (A) TV and (B) the delay on `delay_clock`, the values each fit was made to."""
    plt = _pyplot()
    axis, xlabel = AXES[protocol]
    fig, axes = plt.subplots(len(fits), 2, figsize=(11, 3.8 * len(fits)), squeeze=False)
    for row, (model_id, (tv, delay, rows)) in zip(axes, fits.items(), strict=True):
        x = rows[axis].to_numpy(float)
        for ax, y, res, fn, ylabel, panel in (
            (row[0], rows[tv_column].to_numpy(float), tv, tv_of_steps,
             f"total variation ({tv_column}, [0,1] images)", "A"),
            (row[1], delay_values(rows, delay_clock), delay, generation_delay_s,
             f"generation time, {delay_clock} clock (s, batch 1)", "B"),
        ):  # fmt: skip
            _panel(ax, x, y, res, fn, xlabel=xlabel, ylabel=ylabel, title=f"({panel}) {model_id}")
            ax.legend(fontsize=7, loc="best")
    return _save(fig, plt, path, title)


def draw_protocols(results: list[dict], tv_column: str, path: Path, *, title: str = "") -> Path:
    """One TV panel per (model, protocol) of `fitrun.run_fit`'s results: rows = models, columns
    = protocols; the start protocol's panels mark the sqrt(alpha_bar) prediction of A1 and A3
    (`fitting.predicted_breakpoints`)."""
    plt = _pyplot()
    results = [r for r in results if r["rows"]]
    models = sorted({m for r in results for m in r["rows"]})
    fig, axes = plt.subplots(
        len(models),
        len(results),
        figsize=(4.6 * len(results), 3.4 * len(models)),
        squeeze=False,
    )
    for i, model_id in enumerate(models):
        for j, r in enumerate(results):
            ax, rows = axes[i, j], r["rows"].get(model_id)
            if rows is None:
                ax.set_axis_off()
                continue
            axis, xlabel = AXES[r["protocol"]]
            tv = r["fits"].get(model_id, (None,))[0]
            x, y = rows[axis].to_numpy(float), rows[tv_column].to_numpy(float)
            _panel(ax, x, y, tv, tv_of_steps, xlabel=xlabel, ylabel=tv_column,
                   title=f"{r['protocol']}: {model_id}")  # fmt: skip
            if r["protocol"] == "start":
                marks = predicted_breakpoints(int(rows["steps_N"].iloc[0]))
                for k, t in enumerate(t for t in marks if t is not None):
                    label = "sqrt(alpha_bar) = 0.75, 0.10" if k == 0 else None
                    ax.axvline(t, color="green", ls="--", lw=1, label=label)
            if i == 0:
                ax.legend(fontsize=7, loc="best")
    return _save(fig, plt, path, title)
