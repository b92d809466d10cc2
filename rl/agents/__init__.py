"""The learners: D3PG (`d3pg`, its diffusion actor in `diffusion`), DDQN (`ddqn`), T2DRL's
two-timescale loop (`t2drl`), the single-timescale DDPG (`ddpg`), their networks (`networks`),
replay buffer (`buffer`), hyperparameter presets (`presets`) and shared machinery (`common`:
seeding, device rule, optimiser, soft update, episode statistics).

Imports point down: `presets` > `t2drl`, `ddpg` > `d3pg`, `ddqn` > `diffusion` > `networks`,
`buffer`, `common` (the `rl-agents-layers` contract in pyproject.toml).
"""
