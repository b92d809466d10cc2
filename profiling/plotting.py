"""A Fig. 3-style figure: per model, (A) TV vs steps and (B) latency vs steps, with every
measurement, the per-step spread across images and the fitted curve."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fitted_models.curves import generation_delay_s, tv_of_steps


def _spread(x: np.ndarray, y: np.ndarray):
    xs = np.unique(x)
    q = np.array([np.percentile(y[x == v], [10, 50, 90]) for v in xs])
    return xs, q[:, 0], q[:, 1], q[:, 2]


def draw_fig3(fits: dict, protocol: str, tv_column: str, path: Path, *, title: str = "") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axis = "step_n" if protocol == "trajectory" else "steps_N"
    xlabel = "reverse steps done, n" if protocol == "trajectory" else "schedule length, N"
    fig, axes = plt.subplots(len(fits), 2, figsize=(11, 3.8 * len(fits)), squeeze=False)
    for row, (model_id, (tv, delay, rows)) in zip(axes, fits.items(), strict=True):
        x = rows[axis].to_numpy(float)
        for ax, y, res, fn, ylabel, panel in (
            (
                row[0],
                rows[tv_column].to_numpy(float),
                tv,
                tv_of_steps,
                f"total variation ({tv_column}, [0,1] images)",
                "A",
            ),
            (
                row[1],
                rows["latency_s"].to_numpy(float),
                delay,
                generation_delay_s,
                "generation time (s, batch 1)",
                "B",
            ),
        ):
            ax.scatter(x, y, s=4, alpha=0.25, color="0.45", label="measurements", rasterized=True)
            xs, lo, med, hi = _spread(x, y)
            ax.fill_between(xs, lo, hi, color="tab:blue", alpha=0.2, label="10-90 % across images")
            ax.plot(xs, med, color="tab:blue", lw=1, label="median")
            grid = np.linspace(x.min(), x.max(), 400)
            p = list(res.params.values())
            ax.plot(grid, fn(grid, *p), color="red", lw=2, label="fit")
            text = ", ".join(f"{k.split('_')[0]}={v:.3g}" for k, v in res.params.items())
            ax.set_title(f"({panel}) {model_id}: {text}  (R²={res.r2:.3f})", fontsize=9)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7, loc="best")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
