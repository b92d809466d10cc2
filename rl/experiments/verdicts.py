"""The paper's statements set beside the data: a verdict per claimed improvement
(`rl.experiments.claims.CLAIMS`), a measured line per qualitative trend (`TRENDS`), Table 3.

Verdicts are plain words ("agrees", "**disagrees**", "not shown here") decided by the intervals
of `rl.experiments.stats`, never by the means alone.
"""

from __future__ import annotations

import math

import pandas as pd

from rl.experiments.claims import CLAIMS, TABLE3_PAPER
from rl.experiments.markdown import ci_text, md_table
from rl.experiments.rows import algos_of, x_text, xs_of
from rl.experiments.spec import DISPLAY
from rl.experiments.stats import (
    bootstrap_improvement,
    final_rewards,
    intervals_overlap,
    mean_interval,
    oracle_gaps,
    replicates,
    summary,
    welch_difference,
)


def verdict(claimed: float, point: float, lo: float, hi: float) -> str:
    """Plain words for a measured improvement against the paper's claimed one."""
    if math.isnan(lo):
        direction = "better" if point > 0 else "worse"
        return f"T2DRL {direction} here (no interval: too few replicates)"
    inside = lo <= claimed <= hi
    if lo > 0:
        if inside:
            return "agrees: T2DRL better, the claimed value lies in our interval"
        return "agrees in direction (T2DRL better), size differs from the claim"
    if hi < 0:
        return "**disagrees: T2DRL is worse here**"
    if inside:
        return "inconclusive: our interval holds both 0 and the claimed value"
    return "**disagrees: no significant difference here, the claim is outside our interval**"


# --------------------------------------------------------------------------- claims

CLAIM_COLUMNS = ("where", "metric", "x", "T2DRL vs", "paper", "measured [95% bootstrap]", "verdict")


def claims_frame(experiment, rows) -> pd.DataFrame:
    """One row per claim of `experiment`: the paper's improvement, ours with its bootstrap
    interval, the verdict ('not run' where a method has no data)."""
    body = []
    for c in (c for c in CLAIMS if c.experiment == experiment):
        t = list(replicates(rows, "t2drl", c.x, c.metric).values())
        o = list(replicates(rows, c.other, c.x, c.metric).values())
        head = [c.where, c.metric, x_text(c.x), DISPLAY[c.other], f"{c.percent:.2f}%"]
        if not t or not o:
            body.append([*head, "not run", "--"])
            continue
        if sum(o) <= 0:  # a percentage of 0 (a baseline that never hits) is not defined
            body.append([*head, f"undefined: {DISPLAY[c.other]}'s {c.metric} is 0", "--"])
            continue
        p, lo, hi = bootstrap_improvement(c.metric, t, o)
        meas = f"{p:.2f}%" + ("" if math.isnan(lo) else f" [{lo:.2f}, {hi:.2f}]")
        body.append([*head, meas, verdict(c.percent, p, lo, hi)])
    return pd.DataFrame(body, columns=CLAIM_COLUMNS)


def claims_table(experiment, rows) -> list[str]:
    """`claims_frame` as markdown, with a warning when some method has under 5 replicates."""
    claims = [c for c in CLAIMS if c.experiment == experiment]
    if not claims:
        return []
    lines = md_table(claims_frame(experiment, rows))
    n_min = min(
        (len(replicates(rows, a, c.x, c.metric)) for c in claims for a in ("t2drl", c.other)),
        default=0,
    )
    if 0 < n_min < 5:
        lines += [
            "",
            f"Some methods have only {n_min} replicates here: a bootstrap over so few values "
            "has few distinct resamples and under-covers, so read these verdicts as indicative.",
        ]
    return [*lines, ""]


# --------------------------------------------------------------------------- trends


def trend_lines(experiment, rows, records) -> list[str]:
    """Our reading of each qualitative statement of 7.3, from the data."""
    if experiment in ("fig7", "fig8"):
        return _sweep_lines(experiment, rows)
    if experiment == "fig6a":
        return _fig6a_lines(rows, records)
    if experiment == "fig6b":
        return _fig6b_lines(rows, records)
    if experiment == "ablation":
        return ablation_lines(rows)
    return []


def _sweep_lines(experiment, rows) -> list[str]:
    """Figs. 7, 8: how each metric moves from the first to the last swept value, and which
    method is best at each."""
    xs = xs_of(rows)
    if len(xs) < 2:
        return []
    out = [
        _direction_line(rows, xs[0], xs[-1], "hit_ratio", "up"),
        _direction_line(rows, xs[0], xs[-1], "utility", "up" if experiment == "fig7" else "down"),
    ]
    return out + [_best_line(rows, xs, "utility", min), _best_line(rows, xs, "hit_ratio", max)]


def _direction_line(rows, lo_x, hi_x, metric, want) -> str:
    parts = []
    for algo in algos_of(rows):
        a, b = mean_interval(rows, algo, lo_x, metric), mean_interval(rows, algo, hi_x, metric)
        if not a[3] or not b[3]:
            continue
        moved = "up" if b[0] > a[0] else "down"
        sig = not intervals_overlap(a, b)
        parts.append(
            f"{DISPLAY[algo]} {a[0]:.3g} -> {b[0]:.3g} ({moved}"
            f"{'' if sig else ', intervals overlap'})"
        )
    agree = [p for p in parts if f"({want}" in p and "overlap" not in p]
    return (
        f"- {metric} from {x_text(lo_x)} to {x_text(hi_x)} (paper: {want}): "
        + "; ".join(parts)
        + f". Moves {want} clearly for {len(agree)} of {len(parts)} methods. "
        + (
            "Agrees."
            if len(agree) == len(parts)
            else f"**Does not reproduce** for {len(parts) - len(agree)} of {len(parts)} methods."
        )
    )


def _best_line(rows, xs, metric, pick) -> str:
    best_lines, t2drl_best = [], 0
    for x in xs:
        means = {a: mean_interval(rows, a, x, metric)[0] for a in algos_of(rows) if a != "oracle"}
        means = {a: m for a, m in means.items() if not math.isnan(m)}
        if means:
            best = pick(means, key=means.get)
            t2drl_best += best == "t2drl"
            best_lines.append(f"{x_text(x)}: {DISPLAY[best]}")
    word = "lowest" if pick is min else "highest"
    verdict_text = (
        "Agrees."
        if t2drl_best == len(best_lines)
        else f"**Disagrees: T2DRL is best at {t2drl_best} of {len(best_lines)} values.**"
    )
    return (
        f"- {word} mean {metric} among non-oracle methods (paper: T2DRL everywhere): "
        + ", ".join(best_lines)
        + ". "
        + verdict_text
    )


def _fig6a_lines(rows, records) -> list[str]:
    xs = xs_of(rows)
    parts = []
    for x in xs:
        m, lo, hi, n = mean_interval(rows, "t2drl", x, "episode_reward")
        parts.append(f"L = {x}: {ci_text(m, lo, hi)}")
    means = {x: mean_interval(rows, "t2drl", x, "episode_reward")[0] for x in xs}
    best = max(means, key=means.get) if means else None
    out = ["- greedy held-out episodic reward per L: " + "; ".join(parts) + "."]
    if best is not None:
        out.append("- " + _best_l_verdict(rows, best, xs))
    return out + _last_tenth_lines(records, "fig6a")


def _fig6b_lines(rows, records) -> list[str]:
    out = _last_tenth_lines(records, "fig6b")
    t = list(replicates(rows, "t2drl", None, "episode_reward").values())
    d = list(replicates(rows, "ddpg-t2drl", None, "episode_reward").values())
    if t and d:
        out.append(
            f"- greedy held-out episodic reward: T2DRL {ci_text(*summary(t)[:3])}, "
            f"DDPG-based T2DRL {ci_text(*summary(d)[:3])} (paper: T2DRL higher). "
            + _higher_verdict(summary(t), summary(d), "T2DRL", "DDPG-based T2DRL")
        )
    return out


def ablation_lines(rows) -> list[str]:
    """Per reverted part: T2DRL's utility gap to the oracle and what reverting costs against
    the full design (difference of the mean gaps over training seeds, Welch 95 % interval)."""
    xs = xs_of(rows)
    if not xs or xs[0] != 0:
        return []
    ref = oracle_gaps(rows, "t2drl", xs[0], "utility")
    out = [f"- full design: utility gap to the oracle {ci_text(*summary(ref)[:3])}."]
    for x in xs[1:]:
        gaps = oracle_gaps(rows, "t2drl", x, "utility")
        if len(gaps) < 2 or len(ref) < 2:
            continue
        what = f"reverting the {x}"
        if str(x) == "beta-schedule":  # a change, not a revert (rl.agents.presets)
            what = "changing the beta schedule (beta_max 10 -> 2)"
        out.append(
            f"- {what}: gap {ci_text(*summary(gaps)[:3])}; costs "
            f"{ci_text(*welch_difference(gaps, ref))} utility units against the full design."
        )
    return out


def _higher_verdict(a, b, name_a: str, name_b: str) -> str:
    if a[0] > b[0] and not intervals_overlap(a, b):
        return f"Agrees: {name_a} is higher, intervals apart."
    if a[0] < b[0] and not intervals_overlap(a, b):
        return f"**Disagrees: {name_a} is lower, intervals apart.**"
    lead = name_a if a[0] > b[0] else name_b
    return (
        f"**Not shown here**: {lead} has the higher mean but the intervals overlap "
        f"(no significant difference at this scale)."
    )


def _best_l_verdict(rows, best, xs) -> str:
    s5 = mean_interval(rows, "t2drl", 5, "episode_reward") if 5 in xs else None
    sb = mean_interval(rows, "t2drl", best, "episode_reward")
    if best == 5:
        tied = [
            x
            for x in xs
            if x != 5 and intervals_overlap(s5, mean_interval(rows, "t2drl", x, "episode_reward"))
        ]
        if not tied:
            return "Agrees: the best mean greedy reward is at L = 5, apart from every other L's."
        names = ", ".join(f"L = {x}" for x in tied)
        return (
            f"Agrees in the mean: the best mean greedy reward is at L = 5, but {names} "
            f"{'overlaps' if len(tied) == 1 else 'overlap'} its interval (not significantly "
            "worse at this scale)."
        )
    text = f"**Disagrees: the best mean greedy reward is at L = {best}, not L = 5**"
    if s5 is not None and intervals_overlap(s5, sb):
        text += " (but its interval overlaps L = 5's: no L is significantly best here)"
    return text + "."


def _last_tenth_lines(records, experiment) -> list[str]:
    parts = []
    for (algo, x), v in final_rewards(records, experiment).items():
        label = f"L = {x}" if experiment == "fig6a" else DISPLAY[algo]
        parts.append(f"{label}: {ci_text(*summary(v)[:3])}")
    if not parts:
        return []
    return [
        "- training episodic reward over the last 10% of episodes (with exploration): "
        + "; ".join(parts)
        + "."
    ]


# --------------------------------------------------------------------------- Table 3


def table3_lines(rows) -> list[str]:
    """Our decision times beside the paper's, and whether the slowest method and T2DRL's
    slowdown over DDPG-based T2DRL agree."""
    xs = xs_of(rows)
    body = []
    for algo in algos_of(rows):
        cells = [ci_text(*mean_interval(rows, algo, x, "decision_time_ms")[:3]) for x in xs]
        body.append([f"{DISPLAY[algo]} (ours, ms)", *cells])
        if algo in TABLE3_PAPER:
            paper = [f"{TABLE3_PAPER[algo].get(x, '')}" for x in xs]
            body.append([f"{DISPLAY[algo]} (paper, ms)", *paper])
    frame = pd.DataFrame(body, columns=["method", *(f"U = {x}" for x in xs)])
    lines = [*md_table(frame), ""]
    m = (
        {a: mean_interval(rows, a, xs[-1], "decision_time_ms")[0] for a in algos_of(rows)}
        if xs
        else {}
    )
    ranked = {a: t for a, t in m.items() if a != "oracle"}  # not a method of the paper's table
    if ranked:
        slowest = max(ranked, key=ranked.get)
        lines.append(
            f"- slowest at U = {xs[-1]} of the paper's methods and ours (the oracle, "
            f"{m.get('oracle', math.nan):.3g} ms, aside): {DISPLAY[slowest]} (paper: SCHRS). "
            + ("Agrees." if slowest in ("schrs", "hcras") else "**Disagrees.**")
        )
    if "t2drl" in m and "ddpg-t2drl" in m:
        ratio = m["t2drl"] / m["ddpg-t2drl"]
        lines.append(
            f"- T2DRL / DDPG-based T2DRL at U = {xs[-1]}: {ratio:.2f}x (paper: "
            f"{TABLE3_PAPER['t2drl'][18] / TABLE3_PAPER['ddpg-t2drl'][18]:.2f}x at U = 18). "
            + ("Agrees: T2DRL is slower." if ratio > 1 else "**Disagrees: T2DRL is not slower.**")
        )
    return [*lines, ""]
