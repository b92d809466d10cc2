"""`validation/report.py`: the commands that reproduce a run (the markdown as a whole is
checked by the whole-path test in test_closed_loop.py)."""

from __future__ import annotations

import dataclasses
import json

from validation.args import ValidateArgs
from validation.report import reproduce_commands


def _run_doc(args: ValidateArgs) -> dict:
    ident = {"seed": args.seed, "frames": args.frames, "slots": args.slots}
    return {"args": dataclasses.asdict(args), "identity": ident}


def _train_command(folder, config: dict) -> str:
    """The reproduce line of a T2DRL checkpoint in `folder` trained 5 episodes on `config`."""
    rec = {"algo": "t2drl", "preset": "default", "env_preset": "fitted", "seed": 0}
    (folder / "run.json").write_text(json.dumps(rec | {"episodes": 5, "config": config}))
    train, _ = reproduce_commands(_run_doc(ValidateArgs(checkpoint=str(folder))))
    return train


def test_baseline_command_names_every_non_default_option():
    args = ValidateArgs(
        algo="rcars", set=("n_users=3",), seed=4, frames=2, slots=1, mask="thin", threads=2
    )
    assert reproduce_commands(_run_doc(args)) == [
        "t2drl validate --algo rcars --fitted-file zoo-cpu --set n_users=3 --seed 4 --frames 2 "
        "--slots 1 --mask thin --threads 2 --out runs/validate"
    ]
    quick = reproduce_commands(_run_doc(ValidateArgs(algo="hcras", quick=True, device="cuda")))
    assert quick == [
        "t2drl validate --algo hcras --fitted-file zoo-cpu --seed 100 --quick --device cuda "
        "--out runs/validate"
    ]


def test_checkpoint_without_run_json_gives_only_the_validate_command(tmp_path):
    (cmd,) = reproduce_commands(_run_doc(ValidateArgs(checkpoint=str(tmp_path))))
    assert cmd.startswith(f"t2drl validate --checkpoint {tmp_path} --fitted-file zoo-cpu")


def test_a_raw_fitted_checkpoint_is_retrained_raw(tmp_path):
    """A checkpoint trained at Table 2's absolute values (or before `fitted_scaling` existed)
    is reproduced with --set fitted_scaling=raw; one at the paper's ratios without it."""
    for scaling, extra in ((None, " --set fitted_scaling=raw"), ("paper-ratios", "")):
        config = {"fitted_file": "zoo-cpu"} | ({"fitted_scaling": scaling} if scaling else {})
        assert _train_command(tmp_path, config) == (
            "t2drl train --algo t2drl --hparams default --env-preset fitted --fitted-file zoo-cpu"
            f"{extra} --seed 0 --episodes 5 --out {tmp_path}"
        )


def test_a_checkpoint_off_its_presets_defaults_is_retrained_with_them(tmp_path):
    """The U of a Fig. 7 run (and any other scalar field off the preset) is in the command."""
    from testbed.config import build_config

    config = build_config("fitted", 0, {"n_users": 18}).to_dict()
    assert _train_command(tmp_path, config) == (
        "t2drl train --algo t2drl --hparams default --env-preset fitted --fitted-file zoo-cpu "
        f"--set n_users=18 --seed 0 --episodes 5 --out {tmp_path}"
    )
