"""A pack of agents trains each member bit for bit as it would train alone (the presets' network
and batch shapes on the paper's cell; rl/agents/pack.py says where rounding may differ)."""

import dataclasses

import pytest
import torch

from rl.agents.pack import PackedD3PG, PackError, run_pack_episode
from rl.agents.presets import hyperparameters
from rl.registry import build_trainer
from testbed.config import build_config

CFG = build_config("paper", 0, {"n_frames": 3, "n_slots": 4})


def _trainer(algo, preset, seed, cfg=CFG, **d3pg_changes):
    d3pg, ddqn = hyperparameters(algo, preset)
    d3pg = dataclasses.replace(d3pg, learning_starts=32, **d3pg_changes)
    torch.manual_seed(100 + seed)  # the networks' initial weights, as `seed_everything` sets
    return build_trainer(algo, cfg, d3pg, ddqn, "cpu", seed, 4, 3)


def _same_state(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for key, x in a.items():
        y = b[key]
        if isinstance(x, dict):
            if not _same_state(x, y):
                return False
        elif isinstance(x, torch.Tensor):
            if not torch.equal(x, y):
                return False
        elif x != y:
            return False
    return True


@pytest.mark.parametrize(
    "algo,preset",
    [
        ("t2drl", "default"),
        ("ddpg-t2drl", "default"),
        ("ddpg", "default"),  # the single-timescale agent: its critic maps scores in NumPy
        ("t2drl", "paper"),  # the monolithic critic and the target networks of (24b)
        pytest.param("t2drl", "tuned", marks=pytest.mark.slow),  # the amended critic
    ],
)
def test_pack_of_three_equals_three_runs_alone(algo, preset):
    alone = [_trainer(algo, preset, s) for s in range(3)]
    rows_alone = [[tr.run_episode() for _ in range(2)] for tr in alone]
    packed = [_trainer(algo, preset, s) for s in range(3)]
    pack = PackedD3PG([tr.d3pg for tr in packed])
    rows_packed = [run_pack_episode(packed, pack) for _ in range(2)]
    assert packed[0].d3pg.n_updates == alone[0].d3pg.n_updates > 0
    pack.release()
    for k in range(3):
        for ep in range(2):
            a, b = rows_alone[k][ep], rows_packed[ep][k]
            assert a.keys() == b.keys()
            assert all(a[x] == b[x] or (a[x] != a[x] and b[x] != b[x]) for x in a)  # NaN: none yet
        assert _same_state(alone[k].state_dict(), packed[k].state_dict())


def test_released_members_train_on_alone():
    """After `release` a member is an ordinary agent again: its next episode alone equals the
    same episode of a run that was never packed."""
    alone = _trainer("t2drl", "default", 0)
    rows = [alone.run_episode() for _ in range(3)]
    members = [_trainer("t2drl", "default", s) for s in range(2)]
    pack = PackedD3PG([m.d3pg for m in members])
    run_pack_episode(members, pack)
    run_pack_episode(members, pack)
    pack.release()
    assert members[0].run_episode() == rows[2]
    assert _same_state(alone.state_dict(), members[0].state_dict())


def test_members_that_differ_are_refused():
    a = _trainer("t2drl", "default", 0)
    b = _trainer("t2drl", "default", 1, cfg=build_config("paper", 0, {"n_users": 6}))
    with pytest.raises(PackError, match="actor networks differ in shape"):
        PackedD3PG([a.d3pg, b.d3pg])
    c = _trainer("t2drl", "default", 1, critic_hidden=(32, 32))
    with pytest.raises(PackError, match="share their hyperparameters"):
        PackedD3PG([a.d3pg, c.d3pg])
    with pytest.raises(PackError, match="at least one member"):
        PackedD3PG([])


@pytest.mark.parametrize("rows", [5, 32, 640])
@pytest.mark.parametrize(
    "n_in,n_out", [(2, 6), (6, 128), (17, 256), (128, 10), (256, 1), (140, 128)]
)
def test_packed_linear_and_its_gradients_equal_each_agents(rows, n_in, n_out):
    from rl.agents.networks import linear

    g = torch.Generator().manual_seed(rows * n_in + n_out)
    w = torch.randn(3, n_out, n_in, generator=g, requires_grad=True)
    b = torch.randn(3, n_out, generator=g, requires_grad=True)
    x = torch.randn(3, rows, n_in, generator=g, requires_grad=True)
    grad_out = torch.randn(3, rows, n_out, generator=g)
    y = linear(x, w, b)
    y.backward(grad_out)
    for k in range(3):
        wk, bk, xk = (t[k].detach().clone().requires_grad_() for t in (w, b, x))
        yk = linear(xk, wk, bk)
        yk.backward(grad_out[k])
        assert torch.equal(y[k], yk)
        assert torch.equal(w.grad[k], wk.grad) and torch.equal(b.grad[k], bk.grad)
        assert torch.equal(x.grad[k], xk.grad)
