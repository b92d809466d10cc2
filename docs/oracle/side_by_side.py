"""Old and current slot oracle on the same slots, one after the other in one process.

    python docs/oracle/side_by_side.py --old 7a2403b [--users 10,18] [--slots 100]

The old rl/oracle.py is taken from git revision --old (it must import only what this checkout
still has). Per configuration: mean ms per slot of each (the current code's first call, which
compiles or loads rl/oracle/kernels.py, is made before the timing), their ratio, the per-slot
reward and bound differences, and each one's mean / max certified gap. The slots are those of
`t2drl oracle slots` (seed 0, most-popular cache, one slot per call), stepped with the
old action; the order old/new alternates per slot.
"""

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import rl.oracle as new  # noqa: E402
from testbed.batched import BatchedEdgeSim  # noqa: E402
from testbed.policies import most_popular_cache  # noqa: E402
from testbed.sources import EnvArgs  # noqa: E402

CASES = (("paper", []), ("paper", ["step_amender=cap"]), ("fitted", []))


def load_old(rev: str):
    text = subprocess.run(
        ["git", "show", f"{rev}:rl/oracle.py"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "old_oracle.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("old_oracle", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["old_oracle"] = mod
    spec.loader.exec_module(mod)
    return mod


def compare(old, preset, sets, users, n_slots):
    cfg = EnvArgs(env_preset=preset, set=(*sets, f"n_users={users}")).build()
    sim = BatchedEdgeSim(cfg, 1, 0)
    sim.reset()
    sim.set_cache(most_popular_cache(sim.params))
    new.slot_oracle(sim.state, sim.cache, sim.params, cfg.step_amender)  # compile / load
    times = {"old": [], "new": []}
    gaps = {"old": [], "new": []}
    d_reward, d_bound = [], []
    for i in range(n_slots):
        res = {}
        order = (("old", old), ("new", new)) if i % 2 else (("new", new), ("old", old))
        for name, mod in order:
            t0 = time.perf_counter()
            res[name] = mod.slot_oracle(sim.state, sim.cache, sim.params, cfg.step_amender)
            times[name].append(time.perf_counter() - t0)
            gaps[name].append(res[name].gap[0])
        d_reward.append(res["new"].reward[0] - res["old"].reward[0])
        d_bound.append(res["new"].upper_bound[0] - res["old"].upper_bound[0])
        sim.step(res["old"].b, res["old"].xi)
        if sim.done:
            sim.reset()
    t_old, t_new = 1e3 * np.mean(times["old"]), 1e3 * np.mean(times["new"])
    case = f"{preset}, {cfg.step_amender}, U = {users}"
    print(
        f"| {case} | {t_old:.1f} | {t_new:.1f} | {t_new / t_old:.3f} | "
        f"{np.mean(d_reward):+.2g} [{np.min(d_reward):+.2g}, {np.max(d_reward):+.2g}] | "
        f"{np.max(np.abs(d_bound)):.1g} | {np.mean(gaps['old']):.3f} / {np.max(gaps['old']):.2f} | "
        f"{np.mean(gaps['new']):.3f} / {np.max(gaps['new']):.2f} |",
        flush=True,
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", required=True, help="git revision of the old rl/oracle.py")
    ap.add_argument("--users", default="10,18")
    ap.add_argument("--slots", type=int, default=100)
    args = ap.parse_args()
    old = load_old(args.old)
    print(
        "| case | old ms/slot | new ms/slot | new / old | reward new - old: mean [min, max] |"
        " max abs bound diff | old gap mean / max | new gap mean / max |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for preset, sets in CASES:
        for users in (int(u) for u in args.users.split(",")):
            compare(old, preset, sets, users, args.slots)


if __name__ == "__main__":
    main()
