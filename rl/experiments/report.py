"""A finished sweep's outputs: per-seed CSV(s), the paper's figure(s) and report.md.

The pieces: `rl.experiments.rows` (records -> rows, the CSV), `rl.experiments.stats`
(intervals, gaps, improvements; its module doc says how each is computed),
`rl.experiments.figures` (PNGs), `rl.experiments.markdown` (tables, scale and cost) and
`rl.experiments.verdicts` (the paper's statements beside ours). `write_report` is the entry
point the sweep calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rl.experiments.claims import TRENDS
from rl.experiments.figures import plot_bars, plot_curves, plot_greedy_curves, plot_table3
from rl.experiments.markdown import (
    cost_lines,
    gap_table,
    load_text,
    results_table,
    runs_provenance_lines,
    scale_lines,
)
from rl.experiments.rows import curve_rows, per_seed_rows, write_csv, x_text
from rl.experiments.spec import ALGOS, DEFAULT_ALGOS, DISPLAY, LEARNED, Scale
from rl.experiments.verdicts import claims_table, table3_lines, trend_lines

TITLES = {
    "fig6a": "Fig. 6a: denoising steps L and T2DRL's episodic reward",
    "fig6b": "Fig. 6b: T2DRL vs DDPG-based T2DRL episodic reward",
    "fig7": "Fig. 7: effect of the number of users U",
    "fig8": "Fig. 8: effect of the cache capacity C",
    "table3": "Table 3: decision time per slot vs U",
    "ablation": "Ablation: the default design with one change reverted at a time",
}
RESULT_METRICS = ("hit_ratio", "utility", "violation_share", "episode_reward")


def write_report(
    name: str, records, out: Path, scale: Scale, sweep_doc, complete: bool = True
) -> dict[str, Any]:
    """CSV(s), PNG(s) and report.md for `name` from its finished run records."""
    out = Path(out)
    rows = per_seed_rows(name, records)
    written = []
    csv_path = out / f"{name}.csv"
    write_csv(rows, csv_path)
    written.append(str(csv_path))
    crows = curve_rows(name, records)
    if crows:
        write_csv(crows, out / f"{name}-curves.csv")
        written.append(str(out / f"{name}-curves.csv"))
    figs = _figures(
        name, records, rows, out, f"{TITLES[name]} ({sweep_doc['args']['preset']} preset)"
    )
    written += figs
    md = report_markdown(name, rows, records, scale, sweep_doc, figs, complete)
    (out / "report.md").write_text(md)
    written.append(str(out / "report.md"))
    return {"written": written, "rows": rows}


def _figures(name, records, rows, out: Path, title: str) -> list[str]:
    if name in ("fig6a", "fig6b"):
        figs = [plot_curves(name, records, rows, out / f"{name}.png", title)]
    elif name in ("fig7", "fig8", "ablation"):
        figs = [plot_bars(name, rows, out / f"{name}.png", title)]
    else:
        figs = [plot_table3(rows, out / f"{name}.png", title)]
    if name != "table3":
        greedy = plot_greedy_curves(name, records, rows, out / f"{name}-greedy.png", title)
        figs += [greedy] if greedy else []
    return figs


def command_text(name: str, a: dict[str, Any]) -> str:
    """The `t2drl experiment` command that reproduces a sweep, from its recorded arguments."""
    cmd = f"t2drl experiment {name} --env-preset {a['preset']} --hparams {a['hparams']}"
    if a.get("env_seed"):
        cmd += f" --env-seed {a['env_seed']}"
    if a["quick"]:
        cmd += " --quick"
    for opt, key in (("--seeds", "seeds"), ("--episodes", "episodes")):
        if a[key] is not None:
            cmd += f" {opt} {a[key]}"
    if a["eval_seeds"] is not None:
        cmd += " --eval-seeds " + ",".join(str(s) for s in a["eval_seeds"])
    if a.get("grid") is not None:
        cmd += " --grid " + ",".join(x_text(x) for x in a["grid"])
    for k, v in (a.get("env_overrides") or {}).items():
        cmd += f" --set {k}={v}"
    if a.get("algos"):
        cmd += "".join(f" --algo {x}" for x in a["algos"])
    return cmd


def _scale_section(name, rows, records, scale, sweep_doc) -> list[str]:
    a = sweep_doc["args"]
    prov = sweep_doc["provenance"]
    n_learned = len({r["run_id"] for r in rows if r["algo"] in LEARNED})
    return [
        "## Scale and cost",
        "",
        f"- command: `{command_text(name, a)}`",
        *scale_lines(name, scale, n_learned, a["hparams"]),
        *cost_lines(name, records, scale, sweep_doc),
        *runs_provenance_lines(records),
        f"- report: git {prov.get('git_commit')}, {prov['device']['cpu']}, "
        f"versions {prov['versions']}, started {prov['time_utc']}",
        "",
    ]


def _not_run_lines(name, rows) -> list[str]:
    missing = set(DEFAULT_ALGOS[name]) - {r["algo"] for r in rows}
    if not missing:
        return []
    return [
        "**Not run in this sweep**: "
        + ", ".join(DISPLAY[x] for x in ALGOS if x in missing)
        + (" (see docs/experiments.md for why)." if "oracle" in missing else "."),
        "",
    ]


def _results_section(name, rows, records) -> list[str]:
    if name == "table3":
        return [
            *table3_lines(rows),
            "Our timings: one CPU thread per run, runs side by side on the available cores"
            f"{load_text(records)}; "
            "the paper's are from an RTX A5000 machine. Compare orders of magnitude and "
            "ratios, not values.",
            "",
        ]
    lines = []
    claims = claims_table(name, rows)
    if claims:
        lines += [
            "### Claimed improvements of T2DRL",
            "",
            'Reading of "X% better": hit ratio (T2DRL - other) / other; utility '
            "(other - T2DRL) / other (lower utility is better).",
            "",
            *claims,
        ]
    lines += ["## Results", "", *results_table(name, rows, RESULT_METRICS)]
    return lines + ["## Gap to the oracle", "", *gap_table(name, rows)]


def report_markdown(name, rows, records, scale, sweep_doc, figs, complete) -> str:
    """The text of report.md: scale and cost, the paper's statements and ours, results, gaps."""
    lines = [f"# {TITLES[name]} ({sweep_doc['args']['preset']} preset)", ""]
    if not complete:
        lines += [
            "**Incomplete sweep**: only the finished runs are summarised; rerun the "
            "command to finish it.",
            "",
        ]
    lines += _scale_section(name, rows, records, scale, sweep_doc)
    lines += _not_run_lines(name, rows)
    lines += [f"![{name}]({Path(f).name})" for f in figs] + [""]
    lines += ["## The paper's statements and ours", ""]
    lines += [f"- paper, {t}" for t in TRENDS[name]] + [""]
    lines += ["Measured:", "", *trend_lines(name, rows, records), ""]
    lines += _results_section(name, rows, records)
    lines += [
        "## Method",
        "",
        "Intervals: 95% Student t over replicates: training seeds for learned methods "
        "(each the mean over the held-out evaluation seeds), evaluation seeds for the "
        "others; improvements: 95% percentile bootstrap (4 000 resamples) over the same "
        "replicates. Every method sees the same evaluation episodes (common random "
        "numbers, `rl.harness.evaluate`). Per-seed numbers: "
        f"[`{name}.csv`]({name}.csv).",
        "",
    ]
    return "\n".join(lines)
