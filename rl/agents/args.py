"""The learners' hyperparameters (light: no torch, so the CLI starts fast).

`rl.agents.presets` names complete sets of them; `rl.agents.d3pg` and `rl.agents.ddqn` read them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class D3PGArgs:
    actor: str = "diffusion"
    """'diffusion' (D3PG, 6.2.3) or 'mlp' (DDPG actor, benchmark of 7.2)."""
    denoising_steps: int = 5
    """L of (14)-(20); the paper settles on L = 5 (Fig. 6a)."""
    beta_min: float = 0.1
    """beta^min of the schedule under (14) (paper silent; DDPM-VP default of the authors' code)."""
    beta_max: float = 10.0
    """beta^max of the schedule under (14) (paper silent; same source)."""
    clip_denoised: bool = True
    """Clip the predicted x^0 to [-1, 1] inside each reverse step (18) (the authors' reference
    sampler); False uses (19) as printed (see `rl.agents.diffusion.DiffusionActor`)."""
    actor_hidden: tuple[int, ...] = (128, 128, 128)
    """Denoiser (and MLP actor) hidden layers: 3 FC x 128, ReLU (7.1)."""
    critic_hidden: tuple[int, ...] = (256, 256)
    """Critic hidden layers: 2 FC x 256, ReLU (7.1)."""
    critic: str = "mlp"
    """'mlp': one MLP over [features(s), a] (6.2.3, `rl.agents.networks.Critic`); 'factored': one
    shared per-user MLP, Q = -(1/U) sum_u q(s_u, b_u, xi_u), the structure of (23)
    (`rl.agents.networks.FactoredCritic`, ours; it always sees the amended action)."""
    critic_sees_amended: bool = False
    """Feed the 'mlp' critic the amended action (6.2.2, differentiable) instead of the raw one
    (`rl.agents.networks.Critic`); the paper feeds a_t(k), which we read as raw."""
    step_embedding_dim: int = 16
    """Size of the sinusoidal embedding of the denoising step l fed to the denoiser."""
    output_map: str = "clamp"
    """How the actor output becomes [0, 1]: 'clamp' ((clip(x, -1, 1) + 1) / 2), 'tanh',
    'softmax' (softmax(3 tanh x), a split over users per resource) or 'simplex' (softmax(x))
    (`rl.agents.networks.squash`)."""
    actor_lr: float = 1e-6
    """sigma^a of (27); Adam, 1e-6 in 7.1."""
    critic_lr: float = 1e-6
    """sigma^c of (25); Adam, 1e-6 in 7.1."""
    discount: float = 0.99
    """omega of (24b) (paper silent; 0.99 as the companion paper's Table I)."""
    tau: float = 0.005
    """epsilon of (28)-(29), Table 2."""
    batch_size: int = 32
    """E, transitions per update (paper silent). Chosen for the 15-minute CPU budget of a
    paper-scale run (50 000 updates): 64 did not fit it, 32 did (docs/benchmarks.md). The
    `tuned` preset uses 64."""
    buffer_size: int = 100_000
    """Capacity of the replay buffer E (paper silent; holds all 50 000 slots of a paper run)."""
    learning_starts: int = 64
    """Transitions stored before the first update (at least one batch)."""
    updates_per_step: int = 1
    """Gradient updates per slot (Algorithm 1: one)."""
    exploration_noise: float = 0.0
    """Std of extra Gaussian noise on the [0, 1] action while training (0 = only the sampler's)."""
    reward_scale: float = 1.0
    """Rewards (23) are multiplied by this before learning (the paper: 1)."""


@dataclass
class DDQNArgs:
    hidden: tuple[int, ...] = (128, 128)
    """Q-network hidden layers: 2 FC x 128, ReLU (7.1)."""
    lr: float = 1e-6
    """zeta of (34); Adam, 1e-6 in 7.1."""
    discount: float = 0.99
    """rho of (33a) (paper silent; 0.99 as the companion paper)."""
    tau: float = 0.005
    """kappa of (35), Table 2."""
    batch_size: int = 32
    """F, transitions per update (paper silent; a paper run has only H T = 5000 frames)."""
    buffer_size: int = 10_000
    """Capacity of the replay buffer F (paper silent; holds every frame of a paper run)."""
    learning_starts: int = 32
    """Frames stored before the first update."""
    updates_per_frame: int = 1
    """Gradient updates per frame (Algorithm 1: one)."""
    eps_start: float = 1.0
    """epsilon at the first frame."""
    eps_end: float = 0.05
    """epsilon after the decay."""
    eps_decay_fraction: float = 0.5
    """Fraction of the run's H T frames over which epsilon decays linearly."""
    mask_over_capacity: bool = False
    """Never pick caches that break (11d) (off in the paper preset: the paper penalises with Xi)."""
    reward_scale: float = 1.0
    """Frame rewards (32) are multiplied by this before learning (the paper: 1)."""
    q_input: str = "index"
    """'index' (2^M outputs, `rl.agents.networks.QNetwork`) or 'cache' (Q(gamma, rho) over the
    caches that fit, `rl.agents.networks.CacheQNetwork`); see the module docstring."""
