"""The cross-domain matrix (the paper's Sec. 1.2 / Fig. 1): every zoo model inpaints every
domain's held-out images; a model should repair its own domain best.

Uses profiling's RePaint loop (`profiling.loop.inpaint`), mask families (`profiling.masks`)
and metrics (`profiling.metrics`: PSNR over the inpainted pixels, piq TV with the l1 norm on
[0, 1] images). Image i of a domain gets the same mask and the same noise generator seed for
every model, so the models are compared on identical inputs.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.summary import Summary


@dataclass
class MatrixArgs:
    """Arguments of `t2drl zoo-matrix`."""

    num_images: int = 16
    """Held-out images per domain (the first N of each held-out set)."""
    mask: str = "half"
    """Mask family of `profiling.masks` (image i uses seed `mask_seed + i`)."""
    mask_seed: int = 0
    """First mask seed."""
    steps: int = 50
    """N, downward RePaint steps (timestep spacing 1000 // N)."""
    jump_length: int = 10
    """RePaint jump length j."""
    jump_n_sample: int = 2
    """RePaint resampling r (UNet calls = N + (r-1) j len(range(0, N-j, j)))."""
    eta: float = 1.0
    """1 = DDPM sampling (RePaint's own code)."""
    seed: int = 0
    """Noise seed: image i uses generator seed `seed * 1000 + i` for every model."""
    out_dir: str = "docs"
    """Where zoo-matrix.md/.csv go; the figure goes to `<out_dir>/img/zoo-fig1.png`."""
    root: str | None = None
    """Zoo folder (default: the shipped `profiling/zoo`)."""
    threads: int = 1
    """torch CPU threads."""
    progress: bool = True
    """Show a progress bar."""


def main(args: MatrixArgs) -> dict:
    """`t2drl zoo-matrix`: check the settings, run the matrix, write zoo-matrix.md/.csv and
    `<out_dir>/img/zoo-fig1.png`; `run_matrix`'s dict plus 'written' (the three paths)."""
    from profiling.zoo.errors import ZooError

    for name in ("num_images", "steps", "jump_length", "jump_n_sample"):
        if getattr(args, name) < 1:
            raise ZooError(
                f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}."
            )
    result = run_matrix(args)
    md, csv_path = write_tables(result, args)
    fig = plot_fig1(result, Path(args.out_dir) / "img" / "zoo-fig1.png")
    return result | {"written": [md, csv_path, fig]}


def summary(result: dict) -> Summary:
    """The hole-PSNR matrix (rows: the images' domain; columns: the model), then the files."""
    domains = result["domains"]
    by = {(r["model"], r["domain"]): r for r in result["rows"]}
    wins = diagonal_wins(result["rows"], domains)
    rows = [
        {"images \\ model": d}
        | {
            m: f"{by[(m, d)]['psnr_hole_db_mean']:.2f} ± {by[(m, d)]['psnr_hole_db_sem']:.2f}"
            for m in domains
        }
        | {"own model wins": "yes" if wins[d] else "NO"}
        for d in domains
    ]
    tv = [
        {"images \\ model": d}
        | {m: f"{by[(m, d)]['tv_l1_mean']:.1f}" for m in domains}
        | {"clean images": f"{by[(d, d)]['tv_l1_clean_mean']:.1f}"}
        for d in domains
    ]
    written = ", ".join(str(p) for p in result["written"])
    return (
        Summary()
        .table("PSNR of the inpainted region [dB] (mean ± s.e.m.; higher is better)", rows)
        .table("total variation of the repaired image (piq, l1, [0, 1] images; mean)", tv)
        .line(f"wrote {written}; diagonal wins: {sum(wins.values())}/{len(wins)}")
    )


def run_matrix(args: MatrixArgs) -> dict:
    """Return {'rows': [...], 'domains': [...], 'examples': {(model, domain): uint8 HWC},
    'inputs': {domain: (clean uint8 HWC, corrupted uint8 HWC)}}."""
    import torch

    from common.progress import progress_bar
    from profiling.loop import RePaintSettings, UNetDenoiser, count_unet_calls, inpaint
    from profiling.loop import make_scheduler as make_repaint_scheduler
    from profiling.masks import make_mask
    from profiling.metrics import psnr_hole_db, to_unit_range, total_variation
    from profiling.zoo.api import check_zoo, heldout_images, load_zoo_unet

    torch.set_num_threads(args.threads)
    domains = check_zoo(args.root)
    settings = RePaintSettings(args.steps, args.jump_length, args.jump_n_sample, args.eta)
    calls = count_unet_calls(args.steps, args.jump_length, args.jump_n_sample)
    images = {d: heldout_images(d, args.root)[: args.num_images] for d in domains}
    masks = {
        d: torch.from_numpy(
            np.stack([make_mask(args.mask, 32, args.mask_seed + i) for i in range(len(x))])
        )
        for d, x in images.items()
    }
    rows, examples, inputs = [], {}, {}
    for d in domains:
        clean = to_unit_range(images[d][0])
        inputs[d] = (_hwc(clean), _hwc(clean * masks[d][0] + 0.5 * (1 - masks[d][0])))
    # One batched run per model over every domain's images: each image keeps its own mask and
    # generator, so the result equals one run per (model, domain) pair.
    x_all = torch.cat([images[d] for d in domains])
    m_all = torch.cat([masks[d] for d in domains])
    seeds = [args.seed * 1000 + i for d in domains for i in range(len(images[d]))]
    bounds = np.cumsum([0] + [len(images[d]) for d in domains])
    bar = progress_bar(total=len(domains), desc="zoo-matrix (models)", enabled=args.progress)
    for model in domains:
        denoiser = UNetDenoiser(load_zoo_unet(model, args.root), device=torch.device("cpu"))
        gens = [torch.Generator().manual_seed(s) for s in seeds]
        with torch.no_grad():
            out_all = inpaint(denoiser, make_repaint_scheduler(), x_all, m_all, settings, gens)
        for k, d in enumerate(domains):
            sl = slice(int(bounds[k]), int(bounds[k + 1]))
            x, m, out = x_all[sl], m_all[sl], out_all[sl]
            out01, ref01 = to_unit_range(out), to_unit_range(x)
            psnr = psnr_hole_db(out01, ref01, m)
            tv = total_variation(out01)
            rows.append(
                {
                    "model": model,
                    "domain": d,
                    "n_images": len(x),
                    "psnr_hole_db_mean": round(float(psnr.mean()), 3),
                    "psnr_hole_db_sem": round(float(psnr.std() / np.sqrt(len(x))), 3),
                    "tv_l1_mean": round(float(tv.mean()), 2),
                    "tv_l1_clean_mean": round(float(total_variation(ref01).mean()), 2),
                    "mask": args.mask,
                    "steps": args.steps,
                    "jump_length": args.jump_length,
                    "jump_n_sample": args.jump_n_sample,
                    "unet_calls": calls,
                    "eta": args.eta,
                    "seed": args.seed,
                }
            )
            examples[(model, d)] = _hwc(out01[0])
        bar.update()
    bar.close()
    return {"rows": rows, "domains": domains, "examples": examples, "inputs": inputs}


def _hwc(img01) -> np.ndarray:
    return (img01.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def diagonal_wins(rows: list[dict], domains: list[str]) -> dict[str, bool]:
    """Per domain: does its own model have the highest masked-region PSNR on it?"""
    by = {(r["model"], r["domain"]): r["psnr_hole_db_mean"] for r in rows}
    return {d: all(by[(d, d)] > by[(m, d)] for m in domains if m != d) for d in domains}


def write_tables(result: dict, args: MatrixArgs) -> tuple[Path, Path]:
    rows, domains = result["rows"], result["domains"]
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out / "zoo-matrix.csv", out / "zoo-matrix.md"
    with open(csv_path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    by = {(r["model"], r["domain"]): r for r in rows}
    wins = diagonal_wins(rows, domains)
    r0 = rows[0]
    lines = [
        "# Zoo cross-domain matrix",
        "",
        f"Written by `t2drl zoo-matrix`: {r0['n_images']} held-out images per domain, mask "
        f"`{r0['mask']}` (seeds {args.mask_seed}..{args.mask_seed + r0['n_images'] - 1}), RePaint "
        f"N = {r0['steps']}, j = {r0['jump_length']}, r = {r0['jump_n_sample']} "
        f"({r0['unet_calls']} UNet calls), eta = {r0['eta']}, noise seed {r0['seed']}. "
        "Rows: the domain of the images; columns: the model that repairs them. "
        "Same masks and noise for every model.",
        "",
        "## PSNR of the inpainted region [dB] (mean ± s.e.m.; higher is better; **bold** = best in the row)",
        "",
        "| images \\ model | " + " | ".join(domains) + " | own model wins |",
        "|---|" + "---:|" * len(domains) + ":---:|",
    ]
    for d in domains:
        best = max(domains, key=lambda m, d=d: by[(m, d)]["psnr_hole_db_mean"])
        cells = []
        for m in domains:
            r = by[(m, d)]
            text = f"{r['psnr_hole_db_mean']:.2f} ± {r['psnr_hole_db_sem']:.2f}"
            cells.append(f"**{text}**" if m == best else text)
        lines.append(f"| {d} | " + " | ".join(cells) + f" | {'yes' if wins[d] else 'NO'} |")
    lines += [
        "",
        "## Total variation of the repaired image (piq, l1 norm, [0, 1] images; mean)",
        "",
        "| images \\ model | " + " | ".join(domains) + " | clean images |",
        "|---|" + "---:|" * (len(domains) + 1),
    ]
    for d in domains:
        cells = [f"{by[(m, d)]['tv_l1_mean']:.1f}" for m in domains]
        lines.append(f"| {d} | " + " | ".join(cells) + f" | {by[(d, d)]['tv_l1_clean_mean']:.1f} |")
    lines += ["", f"Every diagonal wins its row: {'yes' if all(wins.values()) else 'no'}.", ""]
    md_path.write_text("\n".join(lines))
    return md_path, csv_path


def plot_fig1(result: dict, path: str | os.PathLike) -> Path:
    """Fig. 1 style: per domain (row) the clean image, the corrupted input (grey = hole) and
    the repair by every model (columns); the own-domain repair is framed in green."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    domains = result["domains"]
    by = {(r["model"], r["domain"]): r for r in result["rows"]}
    ncol = len(domains) + 2
    fig, axes = plt.subplots(
        len(domains), ncol, figsize=(1.45 * ncol, 1.55 * len(domains) + 0.4), dpi=150
    )
    for i, d in enumerate(domains):
        clean, corrupted = result["inputs"][d]
        panels = [("clean", clean), ("corrupted", corrupted)] + [
            (f"{m} model", result["examples"][(m, d)]) for m in domains
        ]
        for j, (title, img) in enumerate(panels):
            ax = axes[i, j]
            ax.imshow(img, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= 2:
                m = domains[j - 2]
                ax.set_xlabel(f"{by[(m, d)]['psnr_hole_db_mean']:.1f} dB", fontsize=7)
                if m == d:
                    for s in ax.spines.values():
                        s.set_edgecolor("tab:green")
                        s.set_linewidth(2.5)
            if i == 0:
                ax.set_title(title, fontsize=8)
            if j == 0:
                ax.set_ylabel(d, fontsize=9)
    fig.suptitle(
        "Each zoo model repairs the same corrupted image (dB: mean hole PSNR of the row's domain)",
        fontsize=8,
    )
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
