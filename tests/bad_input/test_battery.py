"""The bad-input battery: every case is exit code 2, no traceback, at most 3 lines naming the
culprit, no hostile payload run, and every file that existed before the call unchanged.

To add a case: one `Case(id, argv, culprit)` line below; `argv` may use `{w}` for the world
folder (tests/bad_input/conftest.py builds it: a trained tiny run, broken copies of it,
hostile pickles, bad configs). Cases run in-process through `t2drl_cli.main.cli`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from t2drl_cli.main import cli
from tests.bad_input.conftest import TINY, TRAIN


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    culprit: str
    """Text the message must contain (the file, field or option at fault)."""


def case(id: str, argv: str, culprit: str) -> Case:
    return Case(id, tuple(argv.split()), culprit)


T = " ".join(TRAIN + TINY)
P = "-m {w}/tiny-unet --out {w}/p --no-throughput --num-images 1 --no-progress"
CASES = [
    # trained runs and checkpoints, read by evaluate
    case(
        "evaluate-truncated-policy", "evaluate --checkpoint {w}/run-truncated-policy", "policy.pt"
    ),
    case("evaluate-empty-policy", "evaluate --checkpoint {w}/run-empty-policy", "policy.pt"),
    case(
        "evaluate-raw-hostile-policy",
        "evaluate --checkpoint {w}/run-raw-hostile-policy",
        "not a checkpoint of this project",
    ),
    case(
        "evaluate-zip-hostile-policy",
        "evaluate --checkpoint {w}/run-zip-hostile-policy",
        "refused for safety",
    ),
    case(
        "evaluate-foreign-policy", "evaluate --checkpoint {w}/run-foreign-policy", "does not match"
    ),
    case("evaluate-list-policy", "evaluate --checkpoint {w}/run-list-policy", "(list)"),
    case(
        "evaluate-truncated-runjson", "evaluate --checkpoint {w}/run-truncated-runjson", "run.json"
    ),
    case("evaluate-binary-runjson", "evaluate --checkpoint {w}/run-binary-runjson", "run.json"),
    case("evaluate-no-runjson", "evaluate --checkpoint {w}/run-no-runjson", "run.json"),
    case("evaluate-array-runjson", "evaluate --checkpoint {w}/run-array-runjson", "run.json"),
    case("evaluate-text-file-as-checkpoint", "evaluate --checkpoint {w}/notes.txt", "notes.txt"),
    case("evaluate-missing-checkpoint", "evaluate --checkpoint {w}/nowhere", "nowhere"),
    case(
        "evaluate-out-under-a-file",
        "evaluate --algo rcars --out {w}/file/r.json " + " ".join(TINY),
        "--out",
    ),
    case(
        "evaluate-out-is-a-folder",
        "evaluate --algo rcars --out {w}/good-run " + " ".join(TINY),
        "--out",
    ),
    case("evaluate-negative-seed", "evaluate --algo rcars --seeds -3", "-3"),
    case("evaluate-malformed-seeds", "evaluate --algo rcars --seeds 1,x", "--seeds"),
    case(
        "evaluate-zero-episodes", "evaluate --algo rcars --episodes 0 " + " ".join(TINY), "episodes"
    ),
    case("evaluate-unknown-algo", "evaluate --algo foo", "'foo'"),
    case("evaluate-ga-generations", "evaluate --algo schrs --n-gen 0", "n_gen"),
    case("evaluate-ga-population", "evaluate --algo schrs --pop-size 1", "pop_size"),
    case(
        "evaluate-checkpoint-and-algo",
        "evaluate --algo rcars --checkpoint {w}/good-run",
        "not both",
    ),
    case(
        "evaluate-env-disagrees",
        "evaluate --checkpoint {w}/good-run --set n_users=4",
        "was trained with",
    ),
    # resuming training from a broken run folder
    case(
        "train-truncated-checkpoint",
        f"train --episodes 2 --out {{w}}/run-truncated-ckpt {T}",
        "checkpoint.pt",
    ),
    case(
        "train-hostile-checkpoint",
        f"train --episodes 2 --out {{w}}/run-zip-hostile-ckpt {T}",
        "refused for safety",
    ),
    case(
        "train-foreign-checkpoint",
        f"train --episodes 2 --out {{w}}/run-foreign-ckpt {T}",
        "'trainer'",
    ),
    case(
        "train-truncated-runjson",
        f"train --episodes 2 --out {{w}}/run-truncated-runjson {T}",
        "run.json",
    ),
    case(
        "train-different-run",
        f"train --episodes 2 --seed 5 --out {{w}}/good-run {T}",
        "different run",
    ),
    case("train-out-is-a-file", f"train --episodes 1 --out {{w}}/file {T}", "--out"),
    case("train-out-under-a-file", f"train --episodes 1 --out {{w}}/file/run {T}", "--out"),
    case("train-zero-episodes", f"train --episodes 0 --out {{w}}/new {T}", "episodes"),
    case("train-zero-copies", f"train --n-envs 0 --out {{w}}/new {T}", "n_envs"),
    case("train-negative-greedy", "train --greedy-every -1 --out {w}/new", "greedy_every"),
    case("train-unknown-hparams", "train --hparams fast --out {w}/new", "'fast'"),
    case("train-unknown-algo", "train --algo sac --out {w}/new", "'sac'"),
    case("train-unknown-device", "train --device tpu --out {w}/new", "'tpu'"),
    case("train-episodes-not-a-number", "train --episodes many", "--episodes"),
    case("train-unknown-option", "train --learning-rate 3", "--learning-rate"),
    # environments: config files, fitted-models files, --set
    case("config-binary", "check-config --config {w}/binary.toml", "binary.toml"),
    case("config-bad-toml", "check-config --config {w}/bad.toml", "bad.toml"),
    case("config-not-a-table", "check-config --config {w}/list.toml", "list.toml"),
    case("config-missing", "check-config --config {w}/none.toml", "none.toml"),
    case("set-scalar-for-a-list", "check-config --set popularity_states=0.5", "popularity_states"),
    case("set-not-a-number", "check-config --set cache_capacity_GB=abc", "cache_capacity_GB"),
    case("set-unknown-field", "check-config --set users=3", "'users'"),
    case("set-no-equals", "check-config --set n_users", "name=value"),
    case("set-out-of-range", "simulate --set alpha=2", "'alpha'"),
    case("env-unknown-preset", "check-config --env-preset nope", "'nope'"),
    case("env-negative-seed", "check-config --env-seed -1", "seed"),
    case(
        "fitted-missing",
        "check-config --env-preset fitted --fitted-file {w}/none.json",
        "none.json",
    ),
    case(
        "fitted-binary",
        "check-config --env-preset fitted --fitted-file {w}/fitted-binary.json",
        "fitted-binary.json",
    ),
    case(
        "fitted-not-the-schema",
        "check-config --env-preset fitted --fitted-file {w}/fitted-bad.json",
        "fitted-bad.json",
    ),
    case("simulate-one-episode", "simulate --episodes 1", "--episodes"),
    # sweeps
    case("experiment-unknown", "experiment fig9 --out {w}/exp", "fig9"),
    case("experiment-out-under-a-file", "experiment fig7 --out {w}/file/exp", "--out"),
    case("experiment-zero-seeds", "experiment fig7 --seeds 0 --out {w}/exp", "--seeds"),
    case("experiment-zero-max-runs", "experiment fig7 --max-runs 0 --out {w}/exp", "--max-runs"),
    case("experiment-zero-pack-size", "experiment fig7 --pack-size 0 --out {w}/exp", "--pack-size"),
    case(
        "experiment-unknown-executor", "experiment fig7 --executor dask --out {w}/exp", "--executor"
    ),
    case("experiment-bad-grid", "experiment fig7 --grid 10,x --out {w}/exp", "--grid"),
    case(
        "experiment-reversed-range",
        "experiment fig7 --eval-seeds 3-1 --out {w}/exp",
        "--eval-seeds",
    ),
    case("experiment-grid-of-nothing", "experiment fig6b --grid 3 --out {w}/exp", "--grid"),
    # benchmarks and the oracle
    case("bench-rl-out-under-a-file", "bench rl --out {w}/file/b.json", "--out"),
    case("bench-rl-zero-users", "bench rl --users 0", "--users"),
    case("bench-rl-zero-slots", "bench rl --slots 0", "--slots"),
    case("bench-rl-unknown-algo", "bench rl --algo foo", "'foo'"),
    case("bench-pack-zero-size", "bench pack --sizes 0", "--sizes"),
    case("bench-pack-oracle", "bench pack --algo oracle", "--algo"),
    case("oracle-unknown-report", "oracle tables", "table, slots, value"),
    case("oracle-zero-samples", "oracle table --samples 0", "--samples"),
    case("oracle-out-is-a-folder", "oracle slots --out {w}/good-run", "--out"),
    # profiling: models, images, masks, options
    case("profile-zero-byte-mask", f"profile {P} --masks {{w}}/masks-empty", "m.png"),
    case("profile-mask-without-a-hole", f"profile {P} --masks {{w}}/masks-full", "no hole"),
    case("profile-unreadable-image", f"profile {P} --images {{w}}/images-broken", "a.png"),
    case("profile-missing-model", "profile -m {w}/no-model --out {w}/p --no-fit", "no-model"),
    case(
        "profile-start-grid-outside",
        f"profile {P} --protocol start --start-grid 0,300",
        "--start-grid",
    ),
    case(
        "profile-start-steps-too-many",
        f"profile {P} --protocol start --start-steps 2000",
        "--start-steps",
    ),
    case("profile-unknown-protocol", f"profile {P} --protocol every", "protocol 'every'"),
    case("profile-unknown-tv-column", f"profile {P} --tv-column tv_l3", "--tv-column"),
    case("profile-negative-n-boot", f"profile {P} --n-boot -5", "--n-boot"),
    case("profile-unknown-delay-clock", f"profile {P} --delay-clock sundial", "--delay-clock"),
    case("profile-zero-images", f"profile {P} --num-images 0", "--num-images"),
    case("profile-eta-out-of-range", f"profile {P} --eta 2", "--eta"),
    case("profile-out-under-a-file", "profile -m {w}/tiny-unet --out {w}/file/p", "not writable"),
    case("profile-unknown-mask-family", f"profile {P} --masks blob", "blob"),
    # fitting: measurement tables and options
    case("fit-missing-table", "fit {w}/none.parquet --out {w}/fits", "none.parquet"),
    case("fit-truncated-table", "fit {w}/truncated.parquet --out {w}/fits", "truncated.parquet"),
    case(
        "fit-missing-column",
        "fit {w}/no-latency.parquet --tv-column tv_l1_pred --out {w}/fits",
        "latency_s",
    ),
    case(
        "fit-all-nan-column",
        "fit {w}/nan-tv.parquet --tv-column tv_l1_pred --out {w}/fits",
        "tv_l1_pred",
    ),
    case("fit-column-the-table-lacks", "fit {w}/zoo.parquet --out {w}/fits", "tv_l2_pred"),
    case(
        "fit-negative-n-boot",
        "fit {w}/zoo.parquet --tv-column tv_l1_pred --n-boot -5 --out {w}/fits",
        "--n-boot",
    ),
    case(
        "fit-unknown-clock",
        "fit {w}/zoo.parquet --tv-column tv_l1_pred --delay-clock sundial --out {w}/fits",
        "--delay-clock",
    ),
    case("fit-binary-config-as-table", "fit {w}/binary.toml --out {w}/fits", "binary.toml"),
    # the zoo and validation
    case("train-zoo-unknown-domain", "train-zoo --domains cats --out {w}/zoo", "cats"),
    case(
        "train-zoo-hostile-checkpoint",
        "train-zoo --domains digits --out {w}/zoo-hostile",
        "refused for safety",
    ),
    case(
        "train-zoo-raw-hostile-checkpoint",
        "train-zoo --domains digits --out {w}/zoo-raw-hostile",
        "digits.pt",
    ),
    case(
        "train-zoo-truncated-checkpoint",
        "train-zoo --domains digits --out {w}/zoo-truncated",
        "digits.pt",
    ),
    case(
        "train-zoo-foreign-checkpoint", "train-zoo --domains digits --out {w}/zoo-foreign", "'args'"
    ),
    case("zoo-matrix-zero-images", "zoo-matrix --num-images 0 --out-dir {w}/m", "--num-images"),
    case("zoo-export-out-under-a-file", "zoo-export --out {w}/file/x", "file"),
    case(
        "validate-missing-fitted-file",
        "validate --algo rcars --fitted-file {w}/none.json --out {w}/v",
        "none.json",
    ),
    case("validate-zero-frames", "validate --algo rcars --frames 0 --out {w}/v", "--frames"),
    case("validate-paper-checkpoint", "validate --checkpoint {w}/good-run --out {w}/v", "fitted"),
    case(
        "validate-hostile-checkpoint",
        "validate --checkpoint {w}/run-zip-hostile-policy --out {w}/v",
        "fitted",
    ),
    case("bench-loop-zero-steps", "bench loop --steps 0", "--steps"),
    case("bench-latency-one-step", "bench latency --steps 1 --workdir {w}/bl", "--steps"),
]


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_bad_input(c: Case, world: Path, capsys):
    before = _hashes(world)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        cli([a.replace("{w}", str(world)) for a in c.argv])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert exc.value.code == 2, err
    assert "Traceback" not in err and 1 <= len(lines) <= 3, err
    assert c.culprit in err, err
    assert not (world / "MARKER").exists(), "a hostile payload ran"
    assert _hashes(world) == before, "a file that existed before the call changed"


def test_the_battery_is_large():
    assert len(CASES) >= 60 and len({c.id for c in CASES}) == len(CASES)
