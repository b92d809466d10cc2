"""The whole closed loop (`validation/closed_loop.py`, `t2drl validate`) with a tiny random UNet as
the "zoo" and a one-episode T2DRL agent as the policy; nothing is downloaded."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pandas as pd
import pytest

from validation import closed_loop as V
from validation.args import ValidateArgs, ValidateError
from validation.outputs import CSV_NAME

L_STEPS = 12  # the env's L: RCARS gives a lone hit all 12 steps, beyond the 10-step schedule
N_FIT = 10
ENV = {"n_users": 3, "n_frames": 2, "n_slots": 2, "total_denoising_steps": L_STEPS}
SETS = tuple(f"{k}={v}" for k, v in ENV.items())


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, fitted_file):
    """A T2DRL agent trained for one episode on the tiny fitted env."""
    from rl.harness.args import TrainArgs
    from rl.harness.train import main
    from testbed.sources import EnvArgs

    out = tmp_path_factory.mktemp("agent") / "t2drl"
    main(
        TrainArgs(
            algo="t2drl",
            hparams="tuned",
            env=EnvArgs(env_preset="fitted", fitted_file=str(fitted_file), overrides=ENV),
            episodes=1,
            out=str(out),
            progress=False,
            tensorboard=False,
        )
    )
    return out


def _args(tmp_path, **kw) -> ValidateArgs:
    base = dict(frames=1, slots=1, trajectory_steps=N_FIT, grid=3, progress=False)
    return ValidateArgs(out=str(tmp_path / "v"), **{**base, **kw})


def _rows(out) -> list[dict]:
    with (out / CSV_NAME).open() as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------- whole path


def test_checkpoint_whole_path(tmp_path, checkpoint, fitted_file):
    from rl.harness.evaluate import checkpoint_config

    tau = checkpoint_config(str(checkpoint)).slot_duration_s  # the fitted preset's, scaled
    summary = V.main(_args(tmp_path, checkpoint=str(checkpoint), fitted_file=str(fitted_file)))
    out = tmp_path / "v"
    rows = _rows(out)
    assert len(rows) == ENV["n_users"]  # one sampled slot, every user replayed
    for name in (
        "summary.md",
        "summary.json",
        "run.json",
        "grid.png",
        "scatter-tv.png",
        "scatter-delay.png",
        "error-vs-steps.png",
    ):
        assert (out / name).is_file(), name
    for r in rows:
        assert (out / "outputs" / f"{r['key']}.png").is_file()
        n, served = int(r["n"]), r["served"]
        if served == "edge":
            assert n == round(float(r["xi"]) * L_STEPS)
        else:
            assert n == round(float(r["steps_sim"]))  # the cloud runs round(A3)
        assert int(r["unet_calls"]) == n
        assert int(r["schedule_N"]) == max(N_FIT, n)
        assert float(r["meas_delay_s"]) > 0 and math.isfinite(float(r["meas_tv"]))
        assert float(r["meas_tv"]) == float(r["tv_l1_pred"])  # the file's quality column
        d_tl = float(r["D_up_s"]) + float(r["D_dw_s"]) + float(r["meas_delay_s"])
        assert float(r["meas_D_tl_s"]) == pytest.approx(d_tl)
        assert (r["meas_violated"] == "True") == (d_tl > tau)
        assert r["checkpoint_path"] == str(checkpoint) and len(r["fitted_sha256"]) == 64
    # Summary statistics are those of the CSV.
    tv_err = [100 * (float(r["pred_tv"]) - float(r["meas_tv"])) / float(r["meas_tv"]) for r in rows]
    assert summary["overall"]["tv"]["mape"] == pytest.approx(np.mean(np.abs(tv_err)))
    assert summary["overall"]["tv"]["bias"] == pytest.approx(np.mean(tv_err))
    md = (out / "summary.md").read_text()
    assert "t2drl train --algo t2drl --hparams tuned --env-preset fitted" in md
    assert f"t2drl validate --checkpoint {checkpoint}" in md
    run = json.loads((out / "run.json").read_text())
    assert run["identity"]["checkpoint_sha256"] and run["provenance"]["versions"]["torch"]
    # What the command prints: one row per model, then the totals and the files.
    printed = V.summary(summary)
    ((title, table),) = printed.tables
    table = pd.DataFrame(table)
    assert sorted(table["model"]) == ["tiny-a", "tiny-b"] and f"{len(rows)} requests" in title
    assert printed.lines[-1].startswith(f"wrote {out}/summary.md")


def test_baseline_resume_and_beyond_schedule(tmp_path, fitted_file, monkeypatch):
    args = _args(tmp_path, algo="rcars", fitted_file=str(fitted_file), set=SETS, seed=4)
    V.main(args)
    out = tmp_path / "v"
    rows = _rows(out)
    beyond = [r for r in rows if int(r["n"]) > N_FIT]
    assert beyond and all(r["regime"].startswith("n > N") for r in beyond)
    # A rerun replays nothing; with the last row lost, exactly that request again.
    calls = []
    real = V.replay_request
    monkeypatch.setattr(V, "replay_request", lambda *a: calls.append(a[1]["key"]) or real(*a))
    V.main(args)
    assert calls == []
    lines = (out / CSV_NAME).read_text().splitlines(keepends=True)
    (out / CSV_NAME).write_text("".join(lines[:-1]))
    V.main(args)
    assert calls == [rows[-1]["key"]]
    # Same seed, same request: same decision, image, mask, noise and therefore the same TV.
    keep = ("key", "model_id", "served", "n", "image_id", "mask_id", "noise_seed", "meas_tv")
    assert [{k: r[k] for k in keep} for r in _rows(out)] == [{k: r[k] for k in keep} for r in rows]
    # A different run in the same folder is refused unless --no-resume.
    with pytest.raises(ValidateError, match="different validation run"):
        V.main(_args(tmp_path, algo="rcars", fitted_file=str(fitted_file), set=SETS, seed=6))


# --------------------------------------------------------------------------- bad input


def test_bad_input_is_one_sentence(tmp_path, checkpoint, fitted_file, capsys):
    from t2drl_cli.main import cli

    cases = [
        (["--algo", "rcars", "--checkpoint", str(checkpoint)], "exactly one of"),
        (["--algo", "rcars", "--fitted-file", "/no/such.json"], "does not exist"),
        (["--checkpoint", "/no/such/run"], "does not exist"),
        (
            ["--checkpoint", str(checkpoint), "--fitted-file", "zoo-cpu"],
            "differs from --fitted-file",
        ),
        (["--algo", "rcars", "--fitted-file", str(fitted_file), "--frames", "0"], "--frames"),
        (["--checkpoint", str(checkpoint), "--set", "n_users=4"], "--set applies"),
        (["--algo", "rcars", "--fitted-file", str(fitted_file), "--set", "n_users=0"], "n_users"),
    ]
    for args, message in cases:
        with pytest.raises(SystemExit) as exc:
            cli(["validate", *args, "--out", str(tmp_path / "x")])
        err = capsys.readouterr().err
        assert exc.value.code == 2, (args, err)
        assert err.startswith("error: ") and message in err, err
        assert len(err.strip().splitlines()) == 1, err


def test_validate_killed_then_resumed_equals_uninterrupted(tmp_path, fitted_file):
    from t2drl_cli.main import cli
    from tests.kill import kill_when

    def argv(out):
        sets = [a for s in SETS for a in ("--set", s)]
        return [
            "validate", "--algo", "rcars", "--fitted-file", str(fitted_file), *sets,
            "--seed", "4", "--frames", "2", "--slots", "1", "--trajectory-steps", str(N_FIT),
            "--grid", "3", "--out", str(out), "--no-progress",
        ]  # fmt: skip

    try:
        cli(argv(tmp_path / "whole"))
    except SystemExit as exc:
        assert exc.code in (0, None)
    rows = tmp_path / "killed" / CSV_NAME
    kill_when(
        argv(tmp_path / "killed"), lambda: rows.exists() and len(rows.read_text().splitlines()) > 2
    )
    try:
        cli(argv(tmp_path / "killed"))
    except SystemExit as exc:
        assert exc.code in (0, None)
    keep = ("key", "model_id", "served", "n", "image_id", "mask_id", "noise_seed", "meas_tv")
    whole, killed = _rows(tmp_path / "whole"), _rows(tmp_path / "killed")
    assert [{k: r[k] for k in keep} for r in killed] == [{k: r[k] for k in keep} for r in whole]
