"""`rl.experiments.verdicts`: plain-words verdicts of the paper's claims and trends."""

from __future__ import annotations

import math

from rl.experiments.rows import per_seed_rows
from rl.experiments.verdicts import claims_frame, claims_table, trend_lines, verdict


def _rows(values: dict[str, list[float]], metric="utility", x=10):
    rows = []
    for algo, vals in values.items():
        for i, v in enumerate(vals):
            learned = algo in ("t2drl", "ddpg-t2drl")
            rows.append(
                {
                    "algo": algo,
                    "x": x,
                    metric: v,
                    "train_seed": i if learned else None,
                    "eval_seed": 1000 if learned else 1000 + i,
                }
            )
    return rows


def test_claims_table_reports_disagreement_plainly():
    # T2DRL worse than every benchmark at U = 10: every claim must read as a disagreement.
    rows = _rows(
        {
            "t2drl": [80, 82, 81],
            "ddpg-t2drl": [60, 61, 59],
            "schrs": [50, 52, 51],
            "rcars": [55, 56, 54],
        }
    )
    frame = claims_frame("fig7", rows)
    rcars = frame[(frame.metric == "utility") & (frame.x == "10") & (frame["T2DRL vs"] == "RCARS")]
    assert rcars[["where", "paper"]].values.tolist() == [["7.3.2, Fig. 7b text", "29.95%"]]
    assert (frame.verdict == "**disagrees: T2DRL is worse here**").sum() == 3
    assert (frame["measured [95% bootstrap]"] == "not run").sum() == 9  # U = 18, hit ratio
    text = "\n".join(claims_table("fig7", rows))
    assert text.startswith("| where ") and text.count("\n|") == 13  # header, rule, 12 claims
    assert "replicates here" not in text  # some claims have none: no replicate count to warn


def test_an_improvement_over_a_hit_ratio_of_zero_is_undefined_not_a_warning():
    import warnings

    rows = _rows({"t2drl": [0.5, 0.4, 0.45], "rcars": [0.0, 0.0, 0.0]}, metric="hit_ratio")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = claims_frame("fig7", rows)
    rcars = frame[
        (frame.metric == "hit_ratio") & (frame.x == "10") & (frame["T2DRL vs"] == "RCARS")
    ]
    assert rcars["measured [95% bootstrap]"].tolist() == ["undefined: RCARS's hit_ratio is 0"]


def test_verdict_wording():
    assert verdict(10.0, 9.0, 5.0, 12.0).startswith("agrees: T2DRL better")
    assert verdict(10.0, 30.0, 25.0, 35.0).startswith("agrees in direction")
    assert "no significant difference" in verdict(10.0, 1.0, -3.0, 4.0)
    assert verdict(10.0, 1.0, -3.0, 40.0).startswith("inconclusive")
    assert "worse" in verdict(10.0, -8.0, -12.0, -4.0)
    assert "too few replicates" in verdict(10.0, 5.0, math.nan, math.nan)


def test_fig7_trends_read_the_data(fig7_records):
    lines = trend_lines("fig7", per_seed_rows("fig7", fig7_records), fig7_records)
    assert len(lines) == 4
    utility_up, lowest = lines[1], lines[2]
    # two training seeds give T2DRL a wide interval; the baselines' three eval seeds do not
    assert utility_up == (
        "- utility from 10 to 18 (paper: up): T2DRL 71.5 -> 79.5 (up, intervals overlap); "
        "RCARS 91 -> 99 (up); Oracle 61 -> 69 (up). Moves up clearly for 2 of 3 methods. "
        "**Does not reproduce** for 1 of 3 methods."
    )
    assert lowest.endswith("10: T2DRL, 18: T2DRL. Agrees.")
    assert trend_lines("table3", [], []) == []


def test_ablation_costs_are_welch_differences_of_the_gaps():
    from rl.experiments.markdown import ci_text
    from rl.experiments.rows import AblationX
    from rl.experiments.stats import welch_difference
    from rl.experiments.verdicts import ablation_lines

    full, critic = AblationX(0), AblationX(1)
    rows = [
        {"algo": "t2drl", "x": x, "train_seed": s, "eval_seed": 1000, "utility": u}
        for x, us in ((full, (11.0, 12.0, 13.0)), (critic, (15.0, 19.0, 17.0)))
        for s, u in enumerate(us)
    ]
    rows += [
        {"algo": "oracle", "x": critic, "train_seed": None, "eval_seed": 1000, "utility": 10.0}
    ]
    rows += [{**rows[-1], "x": full}]
    lines = ablation_lines(rows)
    assert lines[0] == "- full design: utility gap to the oracle 2 [-0.484, 4.48]."
    cost = ci_text(*welch_difference([5.0, 9.0, 7.0], [1.0, 2.0, 3.0]))
    assert lines[1].startswith("- reverting the critic: gap 7 [")
    assert lines[1].endswith(f"costs {cost} utility units against the full design.")


def test_table3_names_the_slowest_of_the_papers_methods_not_the_oracle():
    from rl.experiments.verdicts import table3_lines

    times = {
        "t2drl": [0.4, 0.5],
        "ddpg-t2drl": [0.3, 0.4],
        "schrs": [150, 170],
        "oracle": [4e3, 5e3],
    }
    text = "\n".join(table3_lines(_rows(times, metric="decision_time_ms", x=18)))
    assert (
        "slowest at U = 18 of the paper's methods and ours (the oracle, 4.5e+03 ms, aside): SCHRS"
        in text
    )
    assert "Agrees." in text


def test_fig6a_names_the_step_counts_not_significantly_worse_than_five():
    """The best mean at L = 5 with L = 7 inside its interval is agreement in the mean only."""
    from rl.experiments.verdicts import _fig6a_lines

    rewards = {1: [-900, -1100, -1000], 5: [-530, -534, -532], 7: [-531, -537, -534]}
    rows = []
    for x, vals in rewards.items():
        rows += _rows({"t2drl": vals}, metric="episode_reward", x=x)
    lines = _fig6a_lines(rows, [])
    assert lines[1] == (
        "- Agrees in the mean: the best mean greedy reward is at L = 5, but L = 7 overlaps its "
        "interval (not significantly worse at this scale)."
    )
    apart = [r for r in rows if r["x"] != 7]
    assert _fig6a_lines(apart, [])[1] == (
        "- Agrees: the best mean greedy reward is at L = 5, apart from every other L's."
    )
