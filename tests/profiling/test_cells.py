"""`profiling.cells`: the cells of one model per protocol (the start protocol's t_T grid on one
N-step schedule), their resume keys, and the models and images a campaign names."""

from profiling.args import ProfileArgs
from profiling.cells import (
    build_cells,
    expand_models,
    images_for,
    reverse_steps,
    shortened,
    unet_calls,
)
from profiling.models import ModelInfo, load_unet
from profiling.table import cell_id
from profiling.zoo.api import zoo_domains

INFO = ModelInfo(
    model_id="m", checkpoint="ckpt", folder=".", checkpoint_sha256="0" * 64,
    storage_size_bytes=1, sample_size=16, in_channels=3, num_train_timesteps=1000,
)  # fmt: skip


def test_zoo_specs_expand_and_pick_their_own_images():
    domains = zoo_domains()
    assert expand_models(["zoo", "builtin:tiny"]) == [f"zoo:{d}" for d in domains] + [
        "builtin:tiny"
    ]
    assert images_for("zoo:faces", "auto") == "zoo:faces"
    assert images_for("builtin:tiny", "auto") == "synthetic"
    assert images_for("zoo:faces", "digits") == "digits"
    _, info = load_unet("zoo:digits")
    assert info.model_id == "zoo-digits" and info.storage_size_bytes > 0


def test_start_cells_sweep_t_T_on_one_schedule():
    args = ProfileArgs(protocol="all", trajectory_steps=12, respaced_steps=(3, 6),
                       start_steps=8, start_grid=(6, 2, 4, 4), jump_n_sample=2, batch=2)  # fmt: skip
    cells = build_cells(args, INFO, ["a", "b"], ["thick-s0"])
    start = [c for c in cells if c["protocol"] == "start"]
    runs = [c for c in start if c["record"] == "final"]
    assert [(c["image"], c["N"], c["t_T"]) for c in runs] == [
        (i, 8, t) for i in ("a", "b") for t in (2, 4, 6)
    ]
    [thr] = [c for c in start if c["record"] == "throughput"]  # one, at the largest t_T
    assert (thr["t_T"], thr["batch"], thr["image"]) == (6, 2, "a+b")
    assert unet_calls(runs[0], args) == 2 and reverse_steps(runs[-1]) == 6
    assert unet_calls({"N": 30, "t_T": 25}, ProfileArgs(jump_length=10, jump_n_sample=3)) == 65
    assert all("t_T" not in c for c in cells if c["protocol"] != "start")  # their keys as before
    assert len({c["id"] for c in cells}) == len(cells)
    assert all(c["id"] == cell_id({k: v for k, v in c.items() if k != "id"}) for c in cells)
    warm = shortened(thr, 5)
    assert "t_T" not in warm and warm["N"] == 5 and "t_T" in thr
