"""`t2drl profile`, `t2drl fit`, `t2drl bench loop`, and the `profile-models` / `fit-models`
console scripts (the same commands). torch and diffusers are imported inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from t2drl_cli.main import app, bench_app, run_guarded


def _ints(text: str, option: str) -> list[int]:
    from profiling.errors import ProfilingError

    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ProfilingError(
            f"--{option} must be comma-separated integers, got '{text}'."
        ) from None
    if not values:
        raise ProfilingError(f"--{option} must list at least one integer.")
    return values


def profile(
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            help="Model folder, hub id, zoo:<domain>, 'zoo' (every bundled zoo model) or builtin:tiny (a random 32x32 UNet); repeatable. Default: zoo.",
        ),
    ] = None,
    protocol: Annotated[str, typer.Option(help="trajectory, respaced or both.")] = "trajectory",
    trajectory_steps: Annotated[
        int, typer.Option(help="N of the full schedule followed by the trajectory protocol.")
    ] = 250,
    respaced_steps: Annotated[
        str, typer.Option(help="Comma-separated N grid of the respaced protocol.")
    ] = "10,25,50,100,250",
    images: Annotated[
        str,
        typer.Option(
            help="auto (a zoo model's own held-out images, else synthetic), synthetic, digits, zoo:<domain>, or a folder of images of the model's size."
        ),
    ] = "auto",
    num_images: Annotated[int, typer.Option(help="Images taken from the source.")] = 8,
    masks: Annotated[
        str,
        typer.Option(
            help="Mask families (thick,thin,half,ev2li,sr2,box) or a folder of mask PNGs."
        ),
    ] = "thick",
    mask_seed: Annotated[int, typer.Option(help="Seed of the generated masks.")] = 0,
    seeds: Annotated[str, typer.Option(help="Comma-separated noise seeds.")] = "0",
    batch: Annotated[int, typer.Option(help="Batch size of the throughput measurement.")] = 4,
    throughput: Annotated[bool, typer.Option(help="Measure batched throughput.")] = True,
    dtype: Annotated[str, typer.Option(help="UNet dtype: fp32, fp16, bf16.")] = "fp32",
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, cuda:1, ...")] = "auto",
    channels_last: Annotated[
        bool, typer.Option(help="UNet in channels_last memory format.")
    ] = False,
    compile: Annotated[bool, typer.Option(help="torch.compile the UNet.")] = False,
    jump_length: Annotated[int, typer.Option(help="RePaint jump length j.")] = 10,
    jump_n_sample: Annotated[
        int, typer.Option(help="RePaint resampling r (RePaint paper: 10).")
    ] = 1,
    eta: Annotated[float, typer.Option(help="1 = DDPM (RePaint), 0 = DDIM-like.")] = 1.0,
    warmup: Annotated[
        int, typer.Option(help="Warm-up generations per model (marked is_warmup).")
    ] = 1,
    cpu_threads: Annotated[int, typer.Option(help="torch threads on CPU (0 = torch default).")] = 1,
    out: Annotated[Path, typer.Option(help="Campaign folder (rerun to resume).")] = Path(
        "runs/zoo-cpu"
    ),
    campaign: Annotated[
        str | None, typer.Option(help="Campaign name (default: the folder name).")
    ] = None,
    fit: Annotated[bool, typer.Option(help="Fit eqs. (7)-(8) at the end.")] = True,
    fit_out: Annotated[Path, typer.Option(help="Folder for fitted-models JSON and PNG.")] = Path(
        "fitted_models"
    ),
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples of the fit.")] = 200,
    tv_column: Annotated[
        str,
        typer.Option(
            help="Quality fitted with eq. (7): tv_l1_pred (the predicted clean image, what a user gets if generation stops after n steps) or tv_l1 (the noisy sample x_t)."
        ),
    ] = "tv_l1_pred",
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Measure TV/PSNR/SSIM, latency, throughput and energy of RePaint inpainting vs denoising steps (the paper's Fig. 3)."""
    from profiling.args import ProfileArgs
    from profiling.sweep import run_profile

    args = ProfileArgs(
        models=model or ["zoo"],
        protocol=protocol,
        trajectory_steps=trajectory_steps,
        respaced_steps=_ints(respaced_steps, "respaced-steps"),
        images=images,
        num_images=num_images,
        masks=masks,
        mask_seed=mask_seed,
        seeds=_ints(seeds, "seeds"),
        batch=batch,
        throughput=throughput,
        dtype=dtype,
        device=device,
        channels_last=channels_last,
        compile=compile,
        jump_length=jump_length,
        jump_n_sample=jump_n_sample,
        eta=eta,
        warmup=warmup,
        cpu_threads=cpu_threads,
        out=out,
        campaign=campaign,
        progress=progress,
    )
    result = run_profile(args)
    if result["rank"] != 0:
        return
    typer.echo(
        f"{result['done']} cells measured, {result['skipped']} already done; table: {result['table']}"
    )
    _print_summary(result["table"])
    if fit:
        from profiling.fitrun import FitArgs

        _fit_and_report(
            FitArgs(
                measurements=[Path(result["table"])],
                out=fit_out,
                n_boot=n_boot,
                tv_column=tv_column,
                protocol_suffix=protocol == "both",  # one protocol: <campaign>.json
            ),
            fail_if_none=False,
        )


def _print_summary(table_path) -> None:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    df = pd.read_parquet(table_path)
    df = df[~df.is_warmup]
    t = Table(title="measurements (medians over images; throughput rows at their batch size)")
    for col in (
        "model",
        "protocol",
        "N or n",
        "rows",
        "tv_l1",
        "psnr_hole_db_pred",
        "latency_s",
        "UNet calls",
        "img/s (batch)",
    ):
        t.add_column(col)
    for (model, protocol), sub in df.groupby(["model_id", "protocol"]):
        meas = sub[sub.record != "throughput"]
        axis = "step_n"
        steps = sorted(meas[axis].unique())
        picks = (
            steps
            if len(steps) <= 6
            else [
                steps[0],
                steps[len(steps) // 4],
                steps[len(steps) // 2],
                steps[3 * len(steps) // 4],
                steps[-1],
            ]
        )
        for s in picks:
            m = meas[meas[axis] == s]
            thr = sub[(sub.record == "throughput") & (sub.steps_N == s)]
            t.add_row(
                str(model),
                protocol,
                str(s),
                str(len(m)),
                f"{m.tv_l1.median():.4g}",
                f"{m.psnr_hole_db_pred.median():.3g}",
                f"{m.latency_s.median():.3g}",
                str(int(m.unet_calls.median())),
                f"{thr.throughput_img_per_s.median():.3g} ({int(thr.batch_size.iloc[0])})"
                if len(thr)
                else "",
            )
    Console().print(t)


def _fit_and_report(args, *, fail_if_none: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from fitted_models.schema import DELAY_KEYS, TV_KEYS
    from profiling.errors import ProfilingError
    from profiling.fitrun import run_fit

    results = run_fit(args)
    console = Console()
    problems = [p for r in results for p in r["problems"]]
    for r in results:
        fitted = r["fitted"]
        if fitted is None:
            continue
        t = Table(
            title=f"{r['protocol']}: {fitted.path}" + (f" + {r['png'].name}" if r["png"] else "")
        )
        for col in ("model", "parameter", "value", "95 % interval", "fit quality"):
            t.add_column(col)
        for m in fitted.models:
            for keys, fit, quality in (
                (TV_KEYS, m.tv_fit, f"R²={m.tv_fit.r2:.3f} RMSE={m.tv_fit.rmse:.3g}"),
                (DELAY_KEYS, m.delay_fit, f"R²={m.delay_fit.r2:.3f} RMSE={m.delay_fit.rmse:.3g} s"),
            ):
                for i, k in enumerate(keys):
                    lo, hi = fit.ci95.get(k, (float("nan"),) * 2)
                    t.add_row(
                        m.id,
                        k,
                        f"{getattr(m, k):.4g}",
                        f"[{lo:.4g}, {hi:.4g}]",
                        quality if i == 0 else "",
                    )
        console.print(t)
    for p in problems:
        typer.echo(f"warning: cannot fit: {p}", err=True)
    if fail_if_none and not any(r["path"] for r in results):
        raise ProfilingError("no model could be fitted: " + " ".join(problems))


def fit(
    measurements: Annotated[
        list[Path] | None,
        typer.Argument(help="Measurement tables (.parquet/.csv) or campaign folders."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for the fitted-models JSON and PNG.")] = Path(
        "fitted_models"
    ),
    name: Annotated[
        str | None, typer.Option(help="File name stem (default: the campaign name).")
    ] = None,
    tv_column: Annotated[
        str, typer.Option(help="tv_l1_pred (predicted clean image) or tv_l1 (sample x_t).")
    ] = "tv_l1_pred",
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 200,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    plot: Annotated[bool, typer.Option(help="Write the Fig. 3-style PNG.")] = True,
    protocol_suffix: Annotated[
        bool,
        typer.Option(
            help="Name files <name>-<protocol>.json; --no-protocol-suffix: <name>.json (one protocol only)."
        ),
    ] = True,
) -> None:
    """Refit eqs. (7) and (8) from stored measurements alone (one JSON per protocol)."""
    from profiling.fitrun import FitArgs

    _fit_and_report(
        FitArgs(
            measurements=measurements or [Path("runs/zoo-cpu")],
            out=out,
            name=name,
            tv_column=tv_column,
            n_boot=n_boot,
            seed=seed,
            plot=plot,
            protocol_suffix=protocol_suffix,
        ),
        fail_if_none=True,
    )


def bench_loop(
    model: Annotated[
        str, typer.Option("--model", "-m", help="Model folder or hub id.")
    ] = "builtin:tiny",
    steps: Annotated[str, typer.Option(help="Comma-separated step counts N.")] = "10,50",
    batch: Annotated[
        int, typer.Option(help="Batch size for images/s (batch 1 is always measured).")
    ] = 4,
    repeats: Annotated[int, typer.Option(help="Timed repeats (best is reported).")] = 3,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, ...")] = "auto",
    dtype: Annotated[str, typer.Option(help="fp32, fp16, bf16.")] = "fp32",
    cpu_threads: Annotated[int, typer.Option(help="torch threads on CPU (0 = default).")] = 1,
    workdir: Annotated[Path, typer.Option(help="Where builtin:tiny is written.")] = Path(
        "runs/bench"
    ),
) -> None:
    """Loop overhead (generation wall time / summed UNet time at batch 1; goal <= 1.05) and images/s."""
    import torch
    from rich.console import Console
    from rich.table import Table

    from common.device import resolve_device
    from profiling import hardware
    from profiling.bench import bench_loop as run
    from profiling.loop import UNetDenoiser
    from profiling.models import load_unet

    dev = resolve_device(device)
    if dev.type == "cpu" and cpu_threads > 0:
        torch.set_num_threads(cpu_threads)
    workdir.mkdir(parents=True, exist_ok=True)
    unet, info = load_unet(model, workdir=workdir)
    denoiser = UNetDenoiser(unet, device=dev, dtype=hardware.resolve_dtype(dtype))
    rows = run(
        denoiser,
        info.sample_size,
        info.in_channels,
        _ints(steps, "steps"),
        batch=batch,
        repeats=repeats,
    )
    t = Table(
        title=f"loop overhead: {info.model_id} on {dev} ({dtype}); UNet time = {'CUDA events' if denoiser.gpu_timed else 'wall clock around each forward'}"
    )
    for col in ("N", "batch", "UNet calls", "wall s", "UNet s", "overhead (goal <= 1.05)", "img/s"):
        t.add_column(col)
    for r in rows:
        t.add_row(
            str(r["steps_N"]),
            str(r["batch_size"]),
            str(r["unet_calls"]),
            f"{r['wall_s']:.3f}",
            f"{r['unet_s']:.3f}",
            f"{r['overhead']:.3f}" if r["batch_size"] == 1 else "",
            f"{r['img_per_s']:.3g}",
        )
    Console().print(t)


app.command("profile")(profile)
app.command("fit")(fit)
bench_app.command("loop")(bench_loop)


def _standalone(fn, name: str) -> typer.Typer:
    single = typer.Typer(name=name, pretty_exceptions_enable=False, add_completion=False)
    single.command()(fn)
    return single


def profile_models_main(argv: list[str] | None = None) -> None:
    """Console script `profile-models` (= `t2drl profile`)."""
    run_guarded(
        typer.main.get_command(_standalone(profile, "profile-models")),
        args=argv,
        prog_name="profile-models",
    )


def fit_models_main(argv: list[str] | None = None) -> None:
    """Console script `fit-models` (= `t2drl fit`)."""
    run_guarded(
        typer.main.get_command(_standalone(fit, "fit-models")), args=argv, prog_name="fit-models"
    )


if __name__ == "__main__":  # `python -m t2drl_cli.profiling_cmds ...` (e.g. under torchrun -m)
    profile_models_main()
