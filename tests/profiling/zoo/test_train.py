"""`profiling.zoo.train`: train-zoo is reproducible from the seed and resumes from its
checkpoint."""

from __future__ import annotations

import pandas as pd

from profiling.zoo.api import heldout_images, zoo_domains
from profiling.zoo.train import train_zoo
from tests.profiling.zoo.toy import TOY, tiny_zoo_args


def test_train_zoo_is_reproducible_from_the_seed(tmp_path):
    one = {"domains": ["dark"]}
    m1 = train_zoo(tiny_zoo_args(tmp_path / "a", **one), loaders=TOY)
    m2 = train_zoo(tiny_zoo_args(tmp_path / "b", **one), loaders=TOY)
    m3 = train_zoo(tiny_zoo_args(tmp_path / "c", seed=1, **one), loaders=TOY)
    w = "models/dark/diffusion_pytorch_model.safetensors"
    assert m1["domains"]["dark"]["files"][w] == m2["domains"]["dark"]["files"][w]
    assert m1["domains"]["dark"]["files"][w] != m3["domains"]["dark"]["files"][w]
    assert zoo_domains(tmp_path / "a") == ["dark"]
    assert heldout_images("dark", tmp_path / "a").shape == (8, 3, 32, 32)
    assert (tmp_path / "a" / "loss-dark.png").stat().st_size > 0
    # Resume: a rerun with the same arguments starts from the last checkpoint (step 2 = done).
    m4 = train_zoo(tiny_zoo_args(tmp_path / "a", **one), loaders=TOY)
    assert m4["domains"]["dark"]["files"][w] == m1["domains"]["dark"]["files"][w]


def test_a_domain_resumes_whichever_other_domains_the_run_names(tmp_path, monkeypatch):
    from profiling.zoo import train as T

    train_zoo(tiny_zoo_args(tmp_path, domains=["dark"]), loaders=TOY)
    steps = []
    real = T._lr_factor
    monkeypatch.setattr(T, "_lr_factor", lambda step, args: steps.append(step) or real(step, args))
    args = tiny_zoo_args(tmp_path, domains=("dark", "bright"))
    manifest = train_zoo(args, loaders=TOY)
    assert len(steps) == args.iterations  # dark resumed at its last step; only bright trained
    printed = T.summary(args, manifest)
    ((_, table),) = printed.tables
    table = pd.DataFrame(table)
    assert list(table["domain"]) == ["dark", "bright"]
    assert printed.lines == [
        f"zoo written to {tmp_path} (manifest.json, models/, heldout/, loss-*.png)"
    ]
