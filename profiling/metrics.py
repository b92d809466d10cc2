"""Image metrics. Conventions: images in [0, 1]; TV with piq's `total_variation` in two norms,
neither normalised by size: ``l1`` (sum of absolute differences of horizontally and vertically
adjacent pixels, summed over channels: the paper's text) and ``l2`` (piq's default: the square
root of the summed squared differences, the scale of the paper's values); PSNR and SSIM on the
inpainted region only, against the clean image, with no learned weights (nothing is
downloaded)."""

from __future__ import annotations

import math

import piq
import torch

TV_NORMS = ("l1", "l2")
"""piq norm_type of the TV columns: `tv_<norm>` (x_t), `tv_<norm>_pred` (predicted clean
image), `tv_<norm>_reference` (the clean image)."""


def to_unit_range(sample: torch.Tensor) -> torch.Tensor:
    """A [-1, 1] sample as a [0, 1] image (what a user would see)."""
    return (sample.float() / 2 + 0.5).clamp(0, 1)


def total_variation(images01: torch.Tensor, norm: str = "l1") -> torch.Tensor:
    """Per-image TV in piq's `norm` ("l1" or "l2"), shape (B,)."""
    return piq.total_variation(images01, reduction="none", norm_type=norm)


def reference_tv(reference01: torch.Tensor) -> dict[str, list[float]]:
    """{`tv_<norm>_reference`: per-image TV of the clean images} for every norm."""
    with torch.no_grad():
        return {
            f"tv_{norm}_reference": total_variation(reference01, norm).double().cpu().tolist()
            for norm in TV_NORMS
        }


def psnr_hole_db(
    images01: torch.Tensor, reference01: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """PSNR over the inpainted pixels (mask == 0), per image, in dB.

    piq.psnr on the hole-only images averages the error over all pixels; adding
    10 log10(hole fraction) turns that into the mean over the hole."""
    hole = 1.0 - mask
    frac = hole.mean(dim=(1, 2, 3)).clamp_min(1e-12)
    full = piq.psnr(images01 * hole, reference01 * hole, data_range=1.0, reduction="none")
    return full + 10.0 * torch.log10(frac)


def _hole_box(hole: torch.Tensor, min_side: int) -> tuple[int, int, int, int]:
    """Bounding box (y0, y1, x0, x1) of the hole, grown to at least `min_side` per side."""
    size_y, size_x = hole.shape
    ys, xs = torch.nonzero(hole, as_tuple=True)
    box = []
    for lo, hi, size in (
        (int(ys.min()), int(ys.max()) + 1, size_y),
        (int(xs.min()), int(xs.max()) + 1, size_x),
    ):
        grow = max(0, min_side - (hi - lo))
        lo = max(0, lo - grow // 2 - grow % 2)
        hi = min(size, lo + max(min_side, hi - lo))
        lo = max(0, hi - max(min_side, hi - lo))
        box += [lo, hi]
    return box[0], box[1], box[2], box[3]


def ssim_hole(
    images01: torch.Tensor, reference01: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """SSIM on the bounding box of the inpainted region (grown to the kernel size), per image."""
    kernel = 11 if min(images01.shape[-2:]) >= 64 else 7
    values = []
    for img, ref, m in zip(images01, reference01, mask, strict=True):
        y0, y1, x0, x1 = _hole_box(m[0] < 0.5, kernel)
        crop = (slice(None), slice(y0, y1), slice(x0, x1))
        values.append(
            piq.ssim(img[crop][None], ref[crop][None], data_range=1.0, kernel_size=kernel)
        )
    return torch.stack(values).reshape(-1)


def image_metrics(
    sample: torch.Tensor, pred_original: torch.Tensor, reference01: torch.Tensor, mask: torch.Tensor
) -> list[dict]:
    """Per-image metrics of the current sample x_t and of the predicted clean image (TV in every
    norm of `TV_NORMS`)."""
    with torch.no_grad():
        x, p = to_unit_range(sample), to_unit_range(pred_original)
        columns = {
            **{f"tv_{norm}": total_variation(x, norm) for norm in TV_NORMS},
            **{f"tv_{norm}_pred": total_variation(p, norm) for norm in TV_NORMS},
            "psnr_hole_db": psnr_hole_db(x, reference01, mask),
            "psnr_hole_db_pred": psnr_hole_db(p, reference01, mask),
            "ssim_hole": ssim_hole(x, reference01, mask),
            "ssim_hole_pred": ssim_hole(p, reference01, mask),
        }
    rows = [{} for _ in range(x.shape[0])]
    for name, values in columns.items():
        for row, v in zip(rows, values.double().cpu().tolist(), strict=True):
            row[name] = v if math.isfinite(v) else None
    return rows
