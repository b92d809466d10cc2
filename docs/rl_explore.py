"""The exploratory single-seed runs behind docs/rl.md's "default design" table (issue 13).

    python docs/rl_explore.py run --users 18 --seed 0 --ddqn '{"updates_per_frame": 1}'
    python docs/rl_explore.py run --users 10 --d3pg '{"clip_denoised": false}'
    python docs/rl_explore.py hybrid runs/explore/t2drl-U18-e0-s0 --users 18
    python docs/rl_explore.py clip runs/explore/t2drl-U10-e0-s0 --users 10
    python docs/rl_explore.py memory --users 10
    python docs/rl_explore.py critic runs/explore/t2drl-U10-e2-s0 --env-seed 2

`run`: `t2drl train` with the `default` preset and the given D3PG / DDQN fields changed,
then the greedy policy on held-out seeds 1000-1004 (`rl.harness.evaluate`). `hybrid`: the oracle's
cache per popularity state with the trained allocator (how much of a gap is the cacher's).
`clip`: `rl.agents.diffusion.clipped_share` of the trained diffusion actor on 256 slot states.
`critic`: under the oracle's caches, the true slot reward (23) and the trained critic's value
of the actor's action, the slot oracle's and equal allocation on 512 slots, then 2 000 Adam
steps of the actor alone on the frozen critic (can the actor reach what its critic prefers?).
`memory`: peak RSS over 3 000 D3PG updates (flat since the soft update runs under no_grad).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json

import numpy as np
import torch

from rl.agents.diffusion import clipped_share
from rl.agents.networks import raw_slot_state
from rl.agents.presets import hyperparameters
from rl.harness.args import TrainArgs
from rl.harness.evaluate import evaluate_policy
from rl.harness.train import main
from rl.oracle import OraclePolicy, achieved_reward, slot_oracle
from rl.registry import load_policy
from testbed.batched import BatchedEdgeSim
from testbed.config import build_config
from testbed.sources import EnvArgs
from testbed.system_model import equal_allocation

SEEDS = range(1000, 1005)


def summary(policy, cfg) -> dict[str, float]:
    r = evaluate_policy(policy, cfg, SEEDS)
    return {k: round(v.mean, 3) for k, v in r.metrics.items()}


def run(a) -> None:
    d3pg, ddqn = hyperparameters(a.algo, "default")
    d3pg = dataclasses.replace(d3pg, **json.loads(a.d3pg))
    ddqn = dataclasses.replace(ddqn, **json.loads(a.ddqn))
    out = a.out or f"runs/explore/{a.algo}-U{a.users}-e{a.env_seed}-s{a.seed}"
    env = {"n_users": a.users}
    main(
        TrainArgs(
            algo=a.algo,
            env=EnvArgs(env_seed=a.env_seed, overrides=env),
            seed=a.seed,
            out=out,
            d3pg=d3pg,
            ddqn=ddqn,
            progress=False,
            resume=False,
        )
    )
    print(out, summary(load_policy(out), build_config("paper", a.env_seed, env)))


def hybrid(a) -> None:
    cfg = build_config("paper", a.env_seed, {"n_users": a.users})
    learned, oracle = load_policy(a.run_dir), OraclePolicy(cfg)

    class OracleCache:
        name = "oracle cache + learned allocation"
        choose_cache = staticmethod(oracle.choose_cache)
        allocate = staticmethod(learned.allocate)

    for g in cfg.popularity_states:
        gamma = np.array([g])
        print(
            f"gamma {g}: learned {learned.choose_cache(gamma, None)[0].tolist()}, "
            f"oracle {oracle.choose_cache(gamma, None)[0].tolist()}"
        )
    print(OracleCache.name, summary(OracleCache(), cfg))


def clip(a) -> None:
    actor = load_policy(a.run_dir).d3pg.actor
    cfg = build_config("paper", a.env_seed, {"n_users": a.users})
    sim = BatchedEdgeSim(cfg, 256, np.random.default_rng(5))
    sim.reset()
    raw = torch.as_tensor(raw_slot_state(sim.state, sim.cache), dtype=torch.float32)
    share = clipped_share(actor, raw, torch.Generator().manual_seed(0))
    print(f"{a.run_dir}: clipped share of intermediate x^0 entries {share:.3f}")


def _slot_batches(cfg, oracle, n_batches: int, seed: int):
    """(state, cache, raw state) of `n_batches` x 128 slots under the oracle's caches."""
    sim = BatchedEdgeSim(cfg, 128, np.random.default_rng(seed))
    sim.reset()
    out = []
    for _ in range(n_batches):
        sim.set_cache(oracle.choose_cache(sim.gamma, None))
        out.append((sim.state, sim.cache.copy(), raw_slot_state(sim.state, sim.cache)))
        sim.step(*equal_allocation(sim.state.model, sim.cache))
    return out, sim.params


def critic(a) -> None:
    torch.set_num_threads(1)
    cfg = build_config("paper", a.env_seed, {"n_users": a.users})
    d3, oracle, u = load_policy(a.run_dir).d3pg, OraclePolicy(cfg), a.users
    batches, params = _slot_batches(cfg, oracle, 4, 7)

    def true_reward(st, c, act):
        return achieved_reward(st, c, params, cfg.step_amender, act[:, :u], act[:, u:])

    rows = {"actor": [], "slot oracle": [], "equal": []}
    for st, c, raw in batches:
        res = slot_oracle(st, c, params, cfg.step_amender)
        acts = {
            "actor": d3.act(raw, explore=False, deterministic=True),
            "slot oracle": np.concatenate([res.b, res.xi], 1),
            "equal": np.concatenate(equal_allocation(st.model, c), 1),
        }
        with torch.no_grad():
            obs = torch.as_tensor(raw, dtype=torch.float32)
            for k, act in acts.items():
                q = d3.critic(obs, torch.as_tensor(act, dtype=torch.float32)).squeeze(-1)
                rows[k].append((true_reward(st, c, act), q.numpy() / d3.args.reward_scale))
    for k, v in rows.items():
        r, q = (np.concatenate(x) for x in zip(*v, strict=True))
        print(f"{k:12s} reward {r.mean():8.3f}  critic {q.mean():8.3f}")
    q_actor = np.concatenate([q for _, q in rows["actor"]])
    q_oracle = np.concatenate([q for _, q in rows["slot oracle"]])
    print(
        f"critic ranks the slot oracle's action above the actor's: {(q_oracle > q_actor).mean():.3f}"
    )

    actor = copy.deepcopy(d3.actor)
    opt = torch.optim.Adam(actor.parameters(), 3e-4)
    for p in d3.critic.parameters():
        p.requires_grad_(False)
    obs_all = torch.as_tensor(np.concatenate([b[2] for b in batches]), dtype=torch.float32)
    gen = torch.Generator().manual_seed(0)
    for _ in range(2000):
        obs = obs_all[torch.randint(0, len(obs_all), (64,), generator=gen)]
        feats = actor.encoder(obs)
        noise = actor.sample_noise(64, gen, torch.device("cpu"))
        loss = -d3.critic(obs, actor(obs, None, feats=feats, noise=noise), feats=feats).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        r = [
            true_reward(
                st,
                c,
                actor(torch.as_tensor(raw, dtype=torch.float32), None, deterministic=True)
                .numpy()
                .astype(np.float64),
            )
            for st, c, raw in batches
        ]
    print(f"actor after 2 000 steps on the frozen critic: reward {np.concatenate(r).mean():8.3f}")


def memory(a) -> None:
    """Peak RSS while a `default` D3PG runs updates on a filled buffer (the soft-update leak)."""
    import resource

    from rl.agents.d3pg import D3PG
    from rl.agents.networks import SlotStateEncoder

    torch.set_num_threads(1)
    cfg = build_config("paper", a.env_seed, {"n_users": a.users})
    d3pg, _ = hyperparameters("t2drl", "default")
    agent = D3PG(SlotStateEncoder(cfg), 2 * a.users, d3pg, torch.device("cpu"), 0)
    sim = BatchedEdgeSim(cfg, 8, np.random.default_rng(0))
    sim.reset()
    for _ in range(100):
        raw = raw_slot_state(sim.state, sim.cache)
        act = agent.act(raw, True)
        res = sim.step(act[:, : a.users], act[:, a.users :])
        agent.buffer.add(raw, act, res.reward, raw, 0.0)
    rng = np.random.default_rng(0)
    for i in range(3001):
        agent.update(rng)
        if i % 500 == 0:
            print(
                f"{i} updates: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB"
            )


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("run", "hybrid", "clip", "memory", "critic"):
        s = sub.add_parser(name)
        s.add_argument("--users", type=int, default=10)
        s.add_argument("--env-seed", type=int, default=0)
        if name == "run":
            s.add_argument("--algo", default="t2drl")
            s.add_argument("--seed", type=int, default=0)
            s.add_argument("--d3pg", default="{}", help="D3PGArgs fields as JSON")
            s.add_argument("--ddqn", default="{}", help="DDQNArgs fields as JSON")
            s.add_argument("--out", default=None)
        elif name != "memory":
            s.add_argument("run_dir")
    return p.parse_args()


if __name__ == "__main__":
    args = parse()
    commands = {"run": run, "hybrid": hybrid, "clip": clip, "memory": memory, "critic": critic}
    commands[args.cmd](args)
