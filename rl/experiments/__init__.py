"""The paper's evaluation (main paper 7.3) as resumable sweeps: `t2drl experiment NAME`.

* `rl.experiments.spec`: `RunSpec` (one run, stable id) and `plan` (the runs of an experiment);
* `rl.experiments.run`: `run_one` (train + evaluate, or time decisions) for one spec;
* `rl.experiments.sweep`: `ExperimentArgs`, `main` (skip finished runs, dispatch the rest
  with Ray or serially, write each run atomically, then report);
* `rl.experiments.report`: `write_report` (per-seed CSV, the paper's figures, report.md) from
  `rows` (records -> rows, the CSV), `stats` (intervals, paired gaps, improvements),
  `figures` (PNGs), `markdown` (tables via `DataFrame.to_markdown`, scale and cost) and
  `verdicts` (the paper's statements beside ours);
* `rl.experiments.claims`: every improvement 7.3 states, with where.

See docs/experiments.md.
"""
