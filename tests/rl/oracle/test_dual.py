"""The Lagrangian dual (rl/oracle/dual.py): the per-user minimisation is exact."""

import numpy as np
import pytest

from rl.oracle.dual import evaluate
from rl.oracle.problem import build_problem
from testbed.system_model import evaluate_slot
from tests.rl.oracle.conftest import CONFIGS, make_cfg, slots


@pytest.mark.parametrize("preset,amender", CONFIGS)
def test_lagrangian_minimum_is_exact_per_user(preset, amender):
    """min over (b, s) of c_u + lam b + mu s: never above a grid's minimum, and close to it."""
    cfg = make_cfg(preset, amender, 3)
    sim = slots(cfg, 2, 5)
    st, p = sim.state, sim.params
    prob = build_problem(st, sim.cache, p, amender)
    rng = np.random.default_rng(1)
    log_lam = np.full((1, 2), np.log(10 ** rng.uniform(0, 2.5)))
    mu = np.full((1, 2), rng.uniform(-0.5, 0.3) * (1 if preset == "paper" else 5))
    ev = evaluate(prob, log_lam, mu, exact=True, detail=True)
    b = np.concatenate([[0.0], np.logspace(-6, 0, 300)])
    s = np.linspace(0.0, p.total_denoising_steps, 401)
    s = np.unique(np.concatenate([s, prob.lo.ravel(), prob.hi.ravel(), prob.s_hi_sat.ravel()]))
    s = s[(s >= 0) & (s <= p.total_denoising_steps)]
    B, S = np.meshgrid(b, s, indexing="ij")
    for n in range(2):
        for u in range(3):
            shape = B.shape + (3,)
            bb, xi = np.zeros(shape), np.zeros(shape)
            bb[..., u], xi[..., u] = B, S / p.total_denoising_steps
            rep = lambda a: np.broadcast_to(a[n], shape)  # noqa: B023, E731
            cache = np.broadcast_to(sim.cache[n], B.shape + (p.n_models,))
            out = evaluate_slot(
                rep(st.distance_m), rep(st.fading), rep(st.model), rep(st.input_bits), cache,
                bb, xi, p, check=False,
            )  # fmt: skip
            cost = out.utility[..., u] + p.slot_penalty * out.violated[..., u]
            steps = S if prob.hit[n, u] else 0.0
            grid_min = (cost + np.exp(log_lam[0, n]) * B + mu[0, n] * steps).min()
            mine = ev.user_min[0, n, u]
            assert mine <= grid_min + 1e-7
            assert grid_min - mine <= 1e-3 * (1.0 + abs(grid_min))
