"""`t2drl train-zoo` and `t2drl zoo-matrix`: the embedded model zoo (docs/zoo.md).
torch and diffusers are imported inside the commands."""

from __future__ import annotations

from typing import Annotated

import typer

from t2drl_cli.main import app


@app.command("train-zoo")
def train_zoo_cmd(
    domains: Annotated[
        list[str] | None,
        typer.Option("--domains", "-d", help="Domain to train (repeatable); default all four."),
    ] = None,
    iterations: Annotated[int, typer.Option(help="Optimiser steps per domain.")] = 1500,
    batch_size: Annotated[int, typer.Option(help="Images per step.")] = 16,
    seed: Annotated[int, typer.Option(help="Seed of crops, initial weights and every draw.")] = 0,
    out: Annotated[
        str, typer.Option(help="Output folder; profiling/zoo rewrites the shipped zoo.")
    ] = "runs/zoo",
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, cuda:1, ...")] = "auto",
    threads: Annotated[int, typer.Option(help="torch CPU threads.")] = 1,
    checkpoint_every: Annotated[
        int, typer.Option(help="Iterations between resumable checkpoints (0 = none).")
    ] = 100,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Train the zoo's DDPM UNets (one per domain) reproducibly from the seed; rerun the same
    command to resume. Needs the training data packages (datasets.md)."""
    from profiling.zoo.train import TrainZooArgs, train_zoo

    args = TrainZooArgs(
        domains=domains or TrainZooArgs().domains,
        iterations=iterations,
        batch_size=batch_size,
        seed=seed,
        out=out,
        device=device,
        threads=threads,
        checkpoint_every=checkpoint_every,
        progress=progress,
    )
    manifest = train_zoo(args)
    for d in args.domains:
        rec = manifest["domains"][d]["training"]
        typer.echo(
            f"{d}: {rec['parameters']} parameters, final loss {rec['final_loss_mean_last_100']:.4f}, "
            f"{rec['wall_s']:.0f} s"
        )
    typer.echo(f"zoo written to {out} (manifest.json, models/, heldout/, loss-*.png)")


@app.command("zoo-matrix")
def zoo_matrix_cmd(
    num_images: Annotated[int, typer.Option(help="Held-out images per domain.")] = 16,
    mask: Annotated[str, typer.Option(help="Mask family (thick, thin, half, box, ...).")] = "half",
    mask_seed: Annotated[int, typer.Option(help="First mask seed (image i: seed + i).")] = 0,
    steps: Annotated[int, typer.Option(help="RePaint downward steps N.")] = 50,
    jump_length: Annotated[int, typer.Option(help="RePaint jump length j.")] = 10,
    jump_n_sample: Annotated[int, typer.Option(help="RePaint resampling r.")] = 2,
    eta: Annotated[float, typer.Option(help="1 = DDPM (RePaint), 0 = DDIM-like.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Noise seed.")] = 0,
    out_dir: Annotated[str, typer.Option(help="Folder of zoo-matrix.md/.csv and img/.")] = "docs",
    root: Annotated[
        str | None, typer.Option(help="Zoo folder (default: the shipped profiling/zoo).")
    ] = None,
    threads: Annotated[int, typer.Option(help="torch CPU threads.")] = 1,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Inpaint every domain's held-out images with every zoo model: the cross-domain table
    (hole PSNR, TV) as markdown + CSV and a Fig. 1-style PNG (paper Sec. 1.2)."""
    from profiling.zoo.errors import ZooError
    from profiling.zoo.matrix import MatrixArgs, diagonal_wins, plot_fig1, run_matrix, write_tables

    if num_images < 1 or steps < 1 or jump_n_sample < 1 or jump_length < 1:
        raise ZooError("--num-images, --steps, --jump-length and --jump-n-sample must be >= 1.")
    args = MatrixArgs(
        num_images=num_images,
        mask=mask,
        mask_seed=mask_seed,
        steps=steps,
        jump_length=jump_length,
        jump_n_sample=jump_n_sample,
        eta=eta,
        seed=seed,
        out_dir=out_dir,
        root=root,
        threads=threads,
        progress=progress,
    )
    result = run_matrix(args)
    md, csv_path = write_tables(result, args)
    fig = plot_fig1(result, f"{out_dir}/img/zoo-fig1.png")
    typer.echo(md.read_text())
    wins = diagonal_wins(result["rows"], result["domains"])
    typer.echo(f"wrote {md}, {csv_path}, {fig}; diagonal wins: {sum(wins.values())}/{len(wins)}")


@app.command("zoo-export")
def zoo_export_cmd(
    out: Annotated[str, typer.Option(help="Folder; one subfolder of PNGs per domain.")] = (
        "runs/zoo-heldout"
    ),
    root: Annotated[
        str | None, typer.Option(help="Zoo folder (default: the shipped profiling/zoo).")
    ] = None,
) -> None:
    """Write the zoo's held-out sets as PNG folders (for `profile-models --images`)."""
    from profiling.zoo.api import export_heldout_pngs

    for folder in export_heldout_pngs(out, root):
        typer.echo(f"{folder}: {len(list(folder.glob('*.png')))} images")
