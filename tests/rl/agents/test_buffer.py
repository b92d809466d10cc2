"""`rl.agents.buffer`: the ring overwrites its oldest rows; a reloaded buffer samples the same."""

import numpy as np

from rl.agents.buffer import ReplayBuffer


def test_ring_wraps_and_state_dict_round_trips():
    buf = ReplayBuffer(capacity=4, obs_dim=2, act_dim=1)
    for start in (0, 3):
        obs = np.arange(start, start + 3, dtype=np.float32)[:, None].repeat(2, axis=1)
        buf.add(obs, obs[:, :1], obs[:, 0], obs + 1, done=0.0)
    assert len(buf) == 4 and buf.pos == 2
    assert sorted(buf.obs[:, 0]) == [2.0, 3.0, 4.0, 5.0]  # rows 0 and 1 were overwritten
    copy = ReplayBuffer(capacity=4, obs_dim=2, act_dim=1)
    copy.load_state_dict(buf.state_dict())
    a = buf.sample(8, np.random.default_rng(0), "cpu")
    b = copy.sample(8, np.random.default_rng(0), "cpu")
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)
