"""`t2drl_cli.profiling_cmds`: the sweep end to end through the CLI: table, determinism, resume,
kill safety, bad input, 2 processes, the GPU recipe's path on a tiny 256x256 model."""

from __future__ import annotations

import signal
import subprocess
import time

import pandas as pd
import pytest

from profiling.table import PARTS, TABLE, read_parts
from t2drl_cli.main import fit_models_main, profile_models_main
from tests.profiling.conftest import PY, ROOT, subprocess_env


def _args(model, out, *extra):
    return [
        "--model",
        str(model),
        "--out",
        str(out),
        "--trajectory-steps",
        "12",
        "--respaced-steps",
        "3,6",
        "--start-steps",
        "6",
        "--start-grid",
        "2,4,6",
        "--num-images",
        "2",
        "--batch",
        "2",
        "--no-progress",
        "--fit-out",
        str(out / "fits"),
        "--n-boot",
        "10",
        *extra,
    ]


def _cli(main, argv, capsys):
    """(exit code, stdout, stderr) of a console script's main run in-process."""
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_profile_all_protocols_resume_and_determinism(tiny_unet_dir, tmp_path, capsys):
    out = tmp_path / "camp"
    code, stdout, _ = _cli(
        profile_models_main, _args(tiny_unet_dir, out, "--protocol", "all"), capsys
    )
    assert code == 0, stdout
    df = pd.read_parquet(out / TABLE)
    real = df[~df.is_warmup]
    traj = real[real.record == "step"]
    assert sorted(traj.step_n.unique()) == list(range(1, 13)) and len(traj) == 2 * 12
    resp = real[(real.record == "final") & (real.protocol == "respaced")]
    assert sorted(resp.steps_N.unique()) == [3, 6] and len(resp) == 4
    start = real[(real.record == "final") & (real.protocol == "start")]
    assert sorted(start.step_n) == [2, 2, 4, 4, 6, 6] and set(start.steps_N) == {6}
    assert list(start.unet_calls) == list(start.step_n)  # r = 1: one call per step
    assert (out / "fits" / f"{out.name}-protocols.png").is_file()  # the protocols side by side
    assert (real[real.record == "throughput"].batch_size == 2).all()
    assert (
        df.is_warmup.any()
        and df.latency_s.gt(0).all()
        and real.unet_time_s.le(real.latency_s + 1e-6).all()
    )
    assert (
        df.unet_gpu_ms_per_call.isna().all() and df.run_energy_j.isna().all()
    )  # CPU: nulls, not crashes
    assert {"checkpoint_sha256", "torch_version", "diffusers_version", "tv_norm"} <= set(df.columns)
    n_parts = len(list((out / PARTS).glob("part-*.parquet")))

    code, stdout, _ = _cli(
        profile_models_main, _args(tiny_unet_dir, out, "--protocol", "all", "--no-fit"), capsys
    )
    assert code == 0 and "0 cells measured" in stdout
    assert (
        len(list((out / PARTS).glob("part-*.parquet"))) == n_parts
    )  # nothing redone (no new warm-up either)

    other = tmp_path / "again"
    _cli(profile_models_main, _args(tiny_unet_dir, other, "--protocol", "all", "--no-fit"), capsys)
    cols = [
        "protocol",
        "record",
        "image_id",
        "step_n",
        "tv_l1",
        "tv_l1_pred",
        "tv_l2",
        "tv_l2_pred",
        "psnr_hole_db",
        "ssim_hole",
    ]
    a = real[real.record != "throughput"][cols].sort_values(cols[:4]).reset_index(drop=True)
    b = pd.read_parquet(other / TABLE)
    b = (
        b[~b.is_warmup & (b.record != "throughput")][cols]
        .sort_values(cols[:4])
        .reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(a, b)  # same seed, same numbers


@pytest.mark.parametrize(
    "grid",
    [  # both write one part file per cell; the start protocol's run stands for both
        pytest.param(["respaced", "--respaced-steps"], marks=pytest.mark.slow),
        ["start", "--start-steps", "8", "--start-grid"],
    ],
)
def test_kill_loses_no_completed_cell(tiny_unet_dir, tmp_path, capsys, grid):
    out = tmp_path / "killed"
    argv = _args(
        tiny_unet_dir,
        out,
        "--protocol",
        *grid,
        "2,3,4,5,6,7,8",
        "--no-throughput",
        "--no-fit",
    )
    child = subprocess.Popen(
        [PY, "-m", "t2drl_cli", "profile", *argv],
        cwd=ROOT,
        env=subprocess_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / PARTS).glob("part-*.parquet"))) < 4:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    before = read_parts(out).to_pandas()  # every part on disk is readable
    assert len(before) >= 3
    code, stdout, _ = _cli(profile_models_main, argv, capsys)
    assert code == 0
    after = pd.read_parquet(out / TABLE)
    real = after[~after.is_warmup]
    assert len(real) == 2 * 7 and real.cell_id.is_unique
    assert set(before[~before.is_warmup].cell_id) <= set(real.cell_id)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--model", "/definitely/not/here"], "does not exist"),
        (["--trajectory-steps", "0"], "positive"),
        (["--trajectory-steps", "5000"], "exceeds"),
        (["--masks", "blob"], "unknown"),
        (["--images", "/no/such/images"], "image source"),
        (["--dtype", "fp8"], "dtype"),
        (["--delay-clock", "sundial"], "--delay-clock 'sundial' is not one of"),
        (["--protocol", "start", "--start-grid", "2,7"], "--start-grid must list t_T values"),
        (["--protocol", "start", "--start-steps", "2000"], "(--start-steps) exceeds"),
        (["--tv-column", "tv_l3"], "--tv-column 'tv_l3'"),
    ],
)
def test_bad_input_one_line_exit_2(tiny_unet_dir, tmp_path, capsys, extra, needle):
    code, _, err = _cli(
        profile_models_main, [*_args(tiny_unet_dir, tmp_path / "o"), *extra], capsys
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], err


@pytest.mark.parametrize(
    ("extra", "option"),
    [(["--respaced-steps", "4,x"], "--respaced-steps"), (["--bogus", "1"], "--bogus")],
)
def test_malformed_option_exit_2_naming_it(tiny_unet_dir, tmp_path, capsys, extra, option):
    code, _, err = _cli(
        profile_models_main, [*_args(tiny_unet_dir, tmp_path / "o"), *extra], capsys
    )
    assert code == 2 and option in err and "Traceback" not in err


def test_help_shows_the_dataclass_defaults(monkeypatch, capsys):
    from profiling.args import ProfileArgs

    monkeypatch.setenv("COLUMNS", "200")  # no option or default wrapped
    code, out, _ = _cli(profile_models_main, ["--help"], capsys)
    assert code == 0
    defaults = ProfileArgs()
    assert defaults.num_images == 8 and str(defaults.out) == "runs/zoo-cpu"  # the README's job
    for option in (
        "--model",
        "--respaced-steps",
        "--start-grid",
        "--no-fit",
        "--fit-out",
        "--tv-column",
        "--delay-clock",
    ):
        assert option in out
    assert "10,25,50,100,250" in out and "runs/zoo-cpu" in out and "tv_l2_pred" in out
    assert "(default: 10,20,30,40,50,60," in out and "240,250)" in out  # the start grid


def test_bad_input_in_a_real_process(tiny_unet_dir, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = subprocess.run(
        [PY, "-m", "t2drl_cli", "profile", *_args(tiny_unet_dir, blocker / "out")],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: output folder") and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_fit_models_bad_input(tmp_path, capsys):
    code, _, err = _cli(fit_models_main, [str(tmp_path / "missing.parquet")], capsys)
    assert code == 2 and "does not exist" in err and len(err.strip().splitlines()) == 1
    code, _, err = _cli(fit_models_main, [str(tmp_path), "--delay-clock", "sundial"], capsys)
    assert code == 2 and err.startswith("error: --delay-clock 'sundial' is not one of auto, ")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.slow  # two torchrun processes: about 10 s of start-up
def test_two_process_split(tiny_unet_dir, tmp_path):
    out = tmp_path / "dist"
    argv = _args(
        tiny_unet_dir,
        out,
        "--protocol",
        "respaced",
        "--respaced-steps",
        "2,3,4",
        "--no-throughput",
        "--no-fit",
    )
    cmd = [
        PY,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "t2drl_cli",
        "profile",
        *argv,
    ]
    proc = subprocess.run(
        cmd, cwd=ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    df = pd.read_parquet(out / TABLE)
    real = df[~df.is_warmup]
    assert len(real) == 2 * 3 and real.cell_id.is_unique
    assert set(real["rank"]) == {0, 1}  # both processes measured cells


def test_bench_latency_through_the_cli(t2drl, tiny_unet_dir, tmp_path):
    code, out, _ = t2drl(
        "bench", "latency", "-m", tiny_unet_dir, "--steps", "3", "--num-images", "1",
        "--warmup", "0", "--busy-size", "8", "--device", "cpu", "--workdir", tmp_path,
        "--rounds", "2",
    )  # fmt: skip
    assert code == 0 and "busy / quiet" in out and "goal for the default clock (cpu)" in out
    assert "median of 2 rounds" in " ".join(out.split())
    code, _, err = t2drl("bench", "latency", "--steps", "1", "--workdir", tmp_path)
    assert code == 2 and err.strip() == "error: --steps must be at least 2, got 1."


def test_gpu_recipe_path_on_a_tiny_256_model(tmp_path, capsys):
    """docs/profiling.md's celebahq-256 recipe on CPU: a random 256x256 UNet saved with
    save_pretrained, a folder of 256x256 RGB images, one t_T; it runs and skips the fit."""
    import numpy as np
    import torch
    from diffusers import UNet2DModel
    from PIL import Image

    from profiling.images import draw_shapes

    torch.manual_seed(0)
    model = tmp_path / "ddpm-tiny-256"
    UNet2DModel(
        sample_size=256, block_out_channels=(4, 8), layers_per_block=1, norm_num_groups=4,
        down_block_types=("DownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "UpBlock2D"),
        add_attention=False,
    ).save_pretrained(model)  # fmt: skip
    faces = tmp_path / "faces"
    faces.mkdir()
    for i in range(2):
        img = draw_shapes(np.random.default_rng(i), 256, 3).transpose(1, 2, 0)
        Image.fromarray((img * 255).round().astype(np.uint8)).save(faces / f"face{i}.png")
    out = tmp_path / "celebahq"
    argv = ["-m", str(model), "--protocol", "start", "--images", str(faces), "--num-images", "2",
            "--device", "cpu", "--start-steps", "4", "--start-grid", "2", "--jump-n-sample", "2",
            "--jump-length", "1", "--batch", "2", "--out", str(out), "--fit-out", str(out / "fits"),
            "--no-progress"]  # fmt: skip
    code, stdout, err = _cli(profile_models_main, argv, capsys)
    assert code == 0, err
    assert "warning: cannot fit: " in stdout and "at least 5 distinct" in stdout  # skipped, said
    df = pd.read_parquet(out / TABLE)
    runs = df[~df.is_warmup & (df.record == "final")]
    assert len(runs) == 2 and set(runs.image_hwc) == {"256x256x3"} and set(runs.step_n) == {2}
    assert set(runs.unet_calls) == {3}  # t_T = 2 with j = 1, r = 2: 2 + 1 resampled
    assert runs.tv_l2_pred.notna().all() and set(runs.device_name) != {"x86_64"}
