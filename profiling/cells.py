"""The cells of a campaign: which runs one model gets (image x mask x seed x step count x
protocol, and the batched throughput runs), in a fixed order identical on every process, each
with a hash of its settings as its resume key; and which models and images a campaign names."""

from __future__ import annotations

from common.device import resolve_device
from profiling import table
from profiling.args import ProfileArgs, protocols
from profiling.loop import count_unet_calls
from profiling.models import ModelInfo


def _grid(args: ProfileArgs, protocol: str) -> list[tuple[int, int | None]]:
    """(N, t_T) of every run of one protocol per (image, mask, seed); t_T None = the whole N."""
    if protocol == "trajectory":
        return [(args.trajectory_steps, None)]
    if protocol == "respaced":
        return [(n, None) for n in sorted(set(args.respaced_steps))]
    return [(args.start_steps, t) for t in sorted(set(args.start_grid))]


def _cell(base: dict, n: int, t_start: int | None, **fields) -> dict:
    cell = {**base, **fields, "N": n}
    if t_start is not None:  # only start cells carry it: the other protocols' ids stay as they were
        cell["t_T"] = t_start
    return cell


def build_cells(
    args: ProfileArgs, info: ModelInfo, image_ids: list[str], mask_ids: list[str]
) -> list[dict]:
    """Every cell of one model, in a fixed order (identical on every process).

    Throughput runs: one per N (trajectory, respaced); for the start protocol one, at the
    largest t_T."""
    cells = []
    for protocol in protocols(args):
        grid = _grid(args, protocol)
        base = {
            "protocol": protocol,
            "sha": info.checkpoint_sha256,
            "jl": args.jump_length,
            "jn": args.jump_n_sample,
            "eta": args.eta,
            "dtype": args.dtype,
            "cl": args.channels_last,
            "compile": args.compile,
            "device": hardware_kind(args),
        }
        record = "step" if protocol == "trajectory" else "final"
        images = image_ids[: args.start_images] if protocol == "start" else image_ids
        for image_id in images:
            for mask_id in mask_ids:
                for seed in args.seeds:
                    for n, t_start in grid:
                        cells.append(
                            _cell(
                                base,
                                n,
                                t_start,
                                record=record,
                                image=image_id,
                                mask=mask_id,
                                seed=seed,
                                batch=1,
                            )
                        )
        if args.throughput:
            for n, t_start in grid if protocol != "start" else grid[-1:]:
                cells.append(
                    _cell(
                        base,
                        n,
                        t_start,
                        record="throughput",
                        image="+".join(image_ids),
                        mask=mask_ids[0],
                        seed=args.seeds[0],
                        batch=args.batch,
                    )
                )
    for cell in cells:
        cell["id"] = table.cell_id({k: v for k, v in cell.items() if k != "id"})
    return cells


def reverse_steps(cell: dict) -> int:
    """Downward steps of one run of the cell: t_T (start protocol), else N."""
    return cell.get("t_T", cell["N"])


def unet_calls(cell: dict, args: ProfileArgs) -> int:
    """UNet calls of one run of the cell (per image of its batch)."""
    return count_unet_calls(reverse_steps(cell), args.jump_length, args.jump_n_sample)


def shortened(cell: dict, n: int) -> dict:
    """The cell as a complete run of at most n steps (warm-ups): no t_T, N = min(N, n)."""
    out = {k: v for k, v in cell.items() if k != "t_T"}
    out["N"] = min(cell["N"], n)
    return out


def hardware_kind(args: ProfileArgs) -> str:
    return str(resolve_device(args.device))


def images_for(spec: str, images: str) -> str:
    """`auto`: a zoo model inpaints its own domain's held-out images; any other model synthetic ones."""
    if images != "auto":
        return images
    return spec if spec.startswith("zoo:") else "synthetic"


def expand_models(models: list[str]) -> list[str]:
    """`zoo` stands for every model of the bundled zoo (`zoo:<domain>`), and so does no model."""
    out: list[str] = []
    for spec in models or ["zoo"]:
        if spec == "zoo":
            from profiling.zoo.api import zoo_domains

            out += [f"zoo:{d}" for d in zoo_domains()]
        else:
            out.append(spec)
    return out
