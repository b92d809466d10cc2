"""`t2drl bench pack`: what packing agents (`rl.agents.pack`) buys, measured side by side.

For each critic width, the same K agents (default preset, the paper's cell at U = 10, 8
copies each, replay buffers filled by one untimed episode) are updated one at a time and as
one pack, in alternating rounds so that the machine's drift hits both alike: agent-updates per
CPU-second (`time.process_time`, one thread). Where an update's time goes: the FLOPs of its
matrix products (`FlopCounterMode`) at the rate of one large product on this core are the
arithmetic floor; the rest is per-op dispatch (what packing removes), elementwise work, Adam
and autograd, and the small products' shortfall from that rate. Then whole training
episodes (acting, the simulator, both agents' updates) of `episode_pack` agents alone and
packed: what the full evaluation's cost follows. On `--device cuda` every figure is per wall
second instead (kernels run asynchronously, so the host's CPU time says nothing of them).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from common.device import resolve_device
from common.summary import Summary
from rl.agents.common import limit_threads
from rl.agents.pack import PackedD3PG, run_pack_episode
from rl.agents.presets import N_ENVS, hyperparameters
from rl.harness.args import BenchPackArgs
from rl.harness.train_pack import PACKABLE
from rl.registry import TrainError, build_trainer
from testbed.config import build_config

GOAL = 5.0
"""Agent-updates per CPU-second, packed over alone, asked at K = 25."""
ROUNDS = 4
GEMM_SIDE = {"cpu": 512, "cuda": 8192}
"""The side of the product that measures the arithmetic rate per device type: one large
enough to run near the device's peak."""


class Clock:
    """Seconds as the bench counts them on `device`: the process's CPU time on the CPU; on
    CUDA wall time, read after the device has finished what was queued."""

    def __init__(self, device: torch.device):
        self.device = device
        self.unit = "CPU-s" if device.type == "cpu" else "s"

    def __call__(self) -> float:
        if self.device.type == "cpu":
            return time.process_time()
        torch.cuda.synchronize(self.device)
        return time.perf_counter()


def _trainers(args: BenchPackArgs, width: int, k: int, learning: bool):
    cfg = build_config("paper", 0)
    d3pg, ddqn = hyperparameters(args.algo, "default")
    d3pg = dataclasses.replace(d3pg, critic_hidden=(width, width))
    if not learning:
        d3pg = dataclasses.replace(d3pg, learning_starts=10**9)  # buffers only
    out = []
    for seed in range(k):
        torch.manual_seed(seed)
        tr = build_trainer(args.algo, cfg, d3pg, ddqn, args.device, seed, N_ENVS["default"], 100)
        out.append(tr)
    return out


def _update_rates(trainers, updates: int, clock: Clock) -> tuple[float, float]:
    """(alone, packed) agent-updates per second of `clock` of the same agents."""
    k = len(trainers)
    rngs = [np.random.default_rng(i) for i in range(k)]
    pack = PackedD3PG([t.d3pg for t in trainers])
    pack.update(rngs)  # warm-up
    pack.release()
    reps = max(updates // (k * ROUNDS), 1)
    spent = {"alone": 0.0, "packed": 0.0}
    for _ in range(ROUNDS):
        t0 = clock()
        for _ in range(reps):
            for t, rng in zip(trainers, rngs, strict=True):
                t.d3pg.update(rng)
        spent["alone"] += clock() - t0
        pack = PackedD3PG([t.d3pg for t in trainers])
        t0 = clock()
        for _ in range(reps):
            pack.update(rngs)
        spent["packed"] += clock() - t0
        pack.release()
    n = ROUNDS * reps * k
    return n / spent["alone"], n / spent["packed"]


def _gemm_flops(step) -> float:
    """Floating-point operations of the matrix products in one call of `step`, forward and
    backward (torch's `FlopCounterMode` counts mm, addmm, bmm and baddbmm)."""
    with FlopCounterMode(display=False) as counter:
        step()
    return float(counter.get_total_flops())


def gemm_rate(clock: Clock, n: int = 512, reps: int = 20) -> float:
    """FLOP per second of `clock` of one large float32 matrix product on its device (one
    thread on the CPU): the rate the networks' products could run at if nothing else cost
    time."""
    g = torch.Generator().manual_seed(0)
    a, b = (torch.randn(n, n, generator=g).to(clock.device) for _ in range(2))
    a @ b
    t0 = clock()
    for _ in range(reps):
        a @ b
    return 2.0 * n**3 * reps / (clock() - t0)


def _breakdown(trainers, rate: float) -> dict[str, float]:
    """GEMM FLOPs per agent-update and the ms they take at `rate` (the arithmetic floor),
    alone and packed (the same products: packing changes how they are issued, not the work)."""
    k = len(trainers)
    rngs = [np.random.default_rng(i) for i in range(k)]
    alone = _gemm_flops(lambda: trainers[0].d3pg.update(rngs[0]))
    pack = PackedD3PG([t.d3pg for t in trainers])
    packed = _gemm_flops(lambda: pack.update(rngs)) / k
    pack.release()
    return {"gemm_mflop": alone / 1e6, "floor_ms": 1e3 * alone / rate, "packed_mflop": packed / 1e6}


def _episode_rates(trainers, episodes: int, clock: Clock) -> tuple[float, float]:
    """(alone, packed) agent-slots of training per second of `clock` (copies counted once)."""
    slots = trainers[0].cfg.n_frames * trainers[0].cfg.n_slots
    t0 = clock()
    for _ in range(episodes):
        for t in trainers:
            t.run_episode()
    alone = clock() - t0
    pack = PackedD3PG([t.d3pg for t in trainers])
    t0 = clock()
    for _ in range(episodes):
        run_pack_episode(trainers, pack)
    packed = clock() - t0
    pack.release()
    n = episodes * slots * len(trainers)
    return n / alone, n / packed


def main(args: BenchPackArgs, log=print) -> dict:
    """Every cell, logged as it is done; {'updates': [...], 'episodes': [...]}."""
    if args.algo not in PACKABLE:
        raise TrainError(f"--algo must be one of {', '.join(PACKABLE)}, got '{args.algo}'.")
    if any(k < 1 for k in args.sizes) or args.updates < 1 or args.episode_pack < 1:
        raise TrainError("--sizes, --updates and --episode-pack must be positive.")
    clock = Clock(resolve_device(args.device))
    limit_threads(1)
    n = GEMM_SIDE[clock.device.type]
    rate = gemm_rate(clock, n)
    log(f"one {n} x {n} float32 product on {clock.device}: {rate / 1e9:.1f} GFLOP/{clock.unit}")
    result: dict = {
        "updates": [],
        "episodes": [],
        "algo": args.algo,
        "gemm_gflops": rate / 1e9,
        "gemm_side": n,
        "device": str(clock.device),
        "unit": clock.unit,
    }
    for width in args.critic_widths:
        trainers = _trainers(args, width, max(args.sizes), learning=False)
        for t in trainers:
            t.run_episode()  # fills E (no updates: learning_starts is out of reach)
        for k in args.sizes:
            alone, packed = _update_rates(trainers[:k], args.updates, clock)
            split = _breakdown(trainers[:k], rate)
            row = {"critic": width, "K": k, "alone": alone, "packed": packed, **split}
            result["updates"].append(row)
            log(
                f"critic 2 x {width}, K = {k}: {alone:.0f} agent-updates/{clock.unit} alone, "
                f"{packed:.0f} packed (x{packed / alone:.2f}); per agent-update "
                f"{1e3 / alone:.2f} ms alone, {1e3 / packed:.2f} ms packed, of which matrix "
                f"products ({split['gemm_mflop']:.0f} MFLOP) take >= {split['floor_ms']:.2f} ms"
            )
        if args.episodes:
            learners = _trainers(args, width, args.episode_pack, learning=True)
            for t in learners:
                t.run_episode()  # past learning_starts
            alone, packed = _episode_rates(learners, args.episodes, clock)
            result["episodes"].append(
                {"critic": width, "K": args.episode_pack, "alone": alone, "packed": packed}
            )
            log(
                f"critic 2 x {width}, training episodes of {args.episode_pack} agents: "
                f"{alone:.0f} agent-slots/{clock.unit} alone, {packed:.0f} packed "
                f"(x{packed / alone:.2f})"
            )
    return result


def summary(result: dict) -> Summary:
    """The update cells, the training cells and the goal at the largest K."""
    unit = result.get("unit", "CPU-s")
    updates = [
        {
            "critic": f"2 x {r['critic']}",
            "K": r["K"],
            f"alone [upd/{unit}]": f"{r['alone']:.0f}",
            f"packed [upd/{unit}]": f"{r['packed']:.0f}",
            "packed / alone": f"{r['packed'] / r['alone']:.2f}",
            "ms/upd alone / packed": f"{1e3 / r['alone']:.2f} / {1e3 / r['packed']:.2f}",
            "GEMM MFLOP/upd": f"{r['gemm_mflop']:.0f}",
            "GEMM floor [ms]": f"{r['floor_ms']:.2f}",
        }
        for r in result["updates"]
    ]
    out = Summary().table(
        f"D3PG updates ({result['algo']}, default preset, paper cell U = 10; "
        f"{result.get('device', 'cpu')}, one thread): the same K agents alone and packed; GEMM "
        f"floor = their products' FLOPs at {result['gemm_gflops']:.1f} GFLOP/{unit} (one large "
        f"product on this device)",
        updates,
    )
    if result["episodes"]:
        out.table(
            "whole training episodes (acting, simulator, both agents' updates)",
            [
                {
                    "critic": f"2 x {r['critic']}",
                    "K": r["K"],
                    f"alone [agent-slots/{unit}]": f"{r['alone']:.0f}",
                    f"packed [agent-slots/{unit}]": f"{r['packed']:.0f}",
                    "packed / alone": f"{r['packed'] / r['alone']:.2f}",
                }
                for r in result["episodes"]
            ],
        )
    k = max(r["K"] for r in result["updates"])
    for r in (r for r in result["updates"] if r["K"] == k):
        ratio = r["packed"] / r["alone"]
        share = r["floor_ms"] * r["packed"] / 1e3
        out.line(
            f"goal: packed / alone >= {GOAL:g} at K = 25; critic 2 x {r['critic']}, K = {k}: "
            f"{ratio:.2f} ({'met' if ratio >= GOAL else 'missed'}); the products' arithmetic "
            f"alone is {share:.0%} of a packed update"
        )
    return out
