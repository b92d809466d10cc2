"""Which runs of a sweep pack together (`rl.experiments.packs`)."""

from rl.experiments.packs import pack_key, packs
from rl.experiments.spec import QUICK, plan


def _fig(name, algos, grid=None):
    return plan(name, QUICK, "paper", "default", algos, grid, {}, 0)


def test_fig7_packs_seeds_of_one_method_and_U():
    specs = _fig("fig7", ("t2drl", "ddpg-t2drl", "ddpg", "rcars"), ("10", "12"))
    groups = packs(specs, pack_size=25, cores=1)
    packed = [g for g in groups if len(g) > 1]
    assert len(packed) == 6  # (t2drl, ddpg-t2drl, ddpg) x (U = 10, 12), 2 quick seeds each
    for g in packed:
        assert len({(s.algo, s.env_overrides) for s in g}) == 1
        assert sorted(s.train_seed for s in g) == [0, 1]
    alone = [g[0] for g in groups if len(g) == 1]
    assert {s.algo for s in alone} == {"rcars"}
    assert sorted(s.run_id for g in groups for s in g) == sorted(s.run_id for s in specs)


def test_fig8_packs_across_capacities():
    specs = _fig("fig8", ("t2drl",), ("20", "23"))
    assert pack_key(specs[0]) == pack_key(specs[-1])
    (group,) = packs(specs, pack_size=25, cores=1)
    assert len(group) == 4


def test_packs_split_over_cores_and_pack_size_one_turns_them_off():
    specs = _fig("fig8", ("t2drl",), ("20", "23", "26"))  # 6 runs that may share a pack
    assert [len(g) for g in packs(specs, pack_size=25, cores=2)] == [3, 3]
    assert [len(g) for g in packs(specs, pack_size=4, cores=1)] == [3, 3]
    assert [len(g) for g in packs(specs, pack_size=1, cores=1)] == [1] * 6
    assert all(pack_key(s) is None for s in _fig("table3", ("t2drl",), ("10",)))
