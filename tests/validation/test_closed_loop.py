"""Closed-loop validation (`validation/closed_loop.py`, `t2drl validate`) with a tiny random UNet as the
"zoo" and a one-episode T2DRL agent as the policy; nothing is downloaded."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from fitted_models.schema import dump_fitted
from profiling.loop import RePaintSettings, UNetDenoiser, generators_for, inpaint, make_scheduler
from profiling.models import load_unet, write_tiny_unet
from profiling.sweep import measure_request
from validation import closed_loop as V

L_STEPS = 12  # the env's L: RCARS gives a lone hit all 12 steps, beyond the 10-step schedule
N_FIT = 10
ENV = {"n_users": 3, "n_frames": 2, "n_slots": 2, "total_denoising_steps": L_STEPS}
SETS = [f"{k}={v}" for k, v in ENV.items()]


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return write_tiny_unet(tmp_path_factory.mktemp("unet") / "tiny16", sample_size=16)


@pytest.fixture(scope="module")
def fitted_file(tmp_path_factory, tiny_dir):
    """A fitted-models file naming the tiny UNet twice (two request types)."""

    def entry(mid: str, a1: float, a3: float) -> dict:
        return {
            "id": mid,
            "checkpoint": str(tiny_dir),
            "checkpoint_sha256": None,
            "storage_size_bytes": 1000,
            "output_size_bits": 16 * 16 * 3 * 8,
            "tv_model": {"A1_steps": a1, "A2_tv": 600.0, "A3_steps": a3, "A4_tv": 200.0},
            "delay_model": {"B1_s_per_step": 0.02, "B2_s": 0.001},
            "settings": {"jump_length": 10, "jump_n_sample": 1, "eta": 1.0, "dtype": "fp32"},
        }

    doc = {
        "schema": "t2drl.fitted-models",
        "schema_version": 1,
        "name": "tiny-test",
        "protocol": "trajectory",
        "quality_metric": {"name": "total_variation", "norm_type": "l1", "column": "tv_l1_pred"},
        "device": {"name": "cpu", "kind": "cpu"},
        "source": {"kind": "measurements", "measurements_path": "/no/such/table.parquet"},
        "models": [entry("tiny-a", 2.0, 6.0), entry("tiny-b", 3.0, 8.0)],
    }
    return dump_fitted(doc, tmp_path_factory.mktemp("fitted") / "tiny.json")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, fitted_file):
    """A T2DRL agent trained for one episode on the tiny fitted env."""
    from rl.harness.train import TrainArgs, main

    out = tmp_path_factory.mktemp("agent") / "t2drl"
    main(
        TrainArgs(
            algo="t2drl",
            preset="tuned",
            env_preset="fitted",
            env_overrides={**ENV, "fitted_file": str(fitted_file)},
            episodes=1,
            out=str(out),
            progress=False,
            tensorboard=False,
        )
    )
    return out


def _args(tmp_path, **kw) -> V.ValidateArgs:
    base = dict(frames=1, slots=1, trajectory_steps=N_FIT, grid=3, progress=False)
    return V.ValidateArgs(out=str(tmp_path / "v"), **{**base, **kw})


def _rows(out) -> list[dict]:
    with (out / V.CSV_NAME).open() as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------- profiling hook


def test_stop_after_is_the_prefix_of_the_full_trajectory(tiny_dir):
    unet, _ = load_unet(str(tiny_dir))
    den = UNetDenoiser(unet, device=torch.device("cpu"))
    img = torch.rand(1, 3, 16, 16) * 2 - 1
    mask = torch.ones(1, 1, 16, 16)
    mask[..., 4:12, 4:12] = 0
    seen = {}
    with torch.inference_mode():
        inpaint(
            den,
            make_scheduler(),
            img,
            mask,
            RePaintSettings(8),
            generators_for([3]),
            on_step=lambda n, t, x, p: seen.setdefault(n, x.clone()),
        )
        early = inpaint(
            den, make_scheduler(), img, mask, RePaintSettings(8), generators_for([3]), stop_after=3
        )
    assert torch.equal(early, seen[3])
    m = measure_request(
        den, (img[0].numpy() + 1) / 2, mask[0].numpy(), RePaintSettings(8), 3, stop_after=3
    )
    assert m.unet_calls == 3 and m.latency_s > 0 and m.unet_time_s <= m.latency_s
    assert torch.allclose(m.sample01, ((seen[3][0] + 1) / 2).clamp(0, 1))
    none = measure_request(
        den, (img[0].numpy() + 1) / 2, mask[0].numpy(), RePaintSettings(8), 3, stop_after=0
    )
    assert none.unet_calls == 0 and math.isfinite(none.metrics["tv_l1_pred"])


# --------------------------------------------------------------------------- whole path


def test_checkpoint_whole_path(tmp_path, checkpoint, fitted_file):
    summary = V.main(_args(tmp_path, checkpoint=str(checkpoint), fitted=str(fitted_file)))
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
        assert (r["meas_violated"] == "True") == (d_tl > 20.0)
        assert r["checkpoint_path"] == str(checkpoint) and len(r["fitted_sha256"]) == 64
    # Summary statistics are those of the CSV.
    tv_err = [100 * (float(r["pred_tv"]) - float(r["meas_tv"])) / float(r["meas_tv"]) for r in rows]
    assert summary["overall"]["tv"]["mape"] == pytest.approx(np.mean(np.abs(tv_err)))
    assert summary["overall"]["tv"]["bias"] == pytest.approx(np.mean(tv_err))
    md = (out / "summary.md").read_text()
    assert "t2drl train --algo t2drl --preset tuned --env-preset fitted" in md
    assert f"t2drl validate --checkpoint {checkpoint}" in md
    run = json.loads((out / "run.json").read_text())
    assert run["identity"]["checkpoint_sha256"] and run["provenance"]["versions"]["torch"]


def test_baseline_resume_and_beyond_schedule(tmp_path, fitted_file, monkeypatch):
    args = _args(tmp_path, algo="rcars", fitted=str(fitted_file), sets=SETS, seed=4)
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
    lines = (out / V.CSV_NAME).read_text().splitlines(keepends=True)
    (out / V.CSV_NAME).write_text("".join(lines[:-1]))
    V.main(args)
    assert calls == [rows[-1]["key"]]
    # Same seed, same request: same decision, image, mask, noise and therefore the same TV.
    keep = ("key", "model_id", "served", "n", "image_id", "mask_id", "noise_seed", "meas_tv")
    assert [{k: r[k] for k in keep} for r in _rows(out)] == [{k: r[k] for k in keep} for r in rows]
    # A different run in the same folder is refused unless --no-resume.
    with pytest.raises(V.ValidateError, match="different validation run"):
        V.main(_args(tmp_path, algo="rcars", fitted=str(fitted_file), sets=SETS, seed=6))


# --------------------------------------------------------------------------- bad input


def test_bad_input_is_one_sentence(tmp_path, checkpoint, fitted_file):
    import t2drl_cli.validate_cmds  # noqa: F401
    from t2drl_cli.main import app

    cases = [
        (["--algo", "rcars", "--checkpoint", str(checkpoint)], "exactly one of"),
        (["--algo", "rcars", "--fitted", "/no/such.json"], "does not exist"),
        (["--checkpoint", "/no/such/run"], "does not exist"),
        (["--checkpoint", str(checkpoint), "--fitted", "zoo-cpu"], "differs from --fitted"),
        (["--algo", "rcars", "--fitted", str(fitted_file), "--frames", "0"], "--frames"),
        (["--checkpoint", str(checkpoint), "--set", "n_users=4"], "--set applies"),
        (["--algo", "rcars", "--fitted", str(fitted_file), "--set", "n_users=0"], "n_users"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(app, ["validate", *args, "--out", str(tmp_path / "x")])
        exc = result.exception
        assert getattr(exc, "exit_code", None) == 2, (args, result.output)
        assert message in str(exc) and "\n" not in str(exc), str(exc)
