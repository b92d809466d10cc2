"""D3PG: diffusion-based deep deterministic policy gradient (main paper, section 6.2).

The short-timescale agent: each slot it maps the state (21) to raw allocations (b~, xi~) in
[0, 1]^{2U}, which the simulator's amender (6.2.2) turns into feasible shares. The actor is a
parameter: `actor="diffusion"` is D3PG (reverse process (17)-(20),
`rl.agents.diffusion.DiffusionActor`), `actor="mlp"` is plain DDPG (the 'DDPG-based T2DRL'
benchmark of 7.2, and, with the companion paper's state (16) and a larger action, the
single-timescale DDPG of `rl.agents.ddpg`).

Learning, per update: critic loss (24) = mean 1/2 (y^ - Q_phi(s, a))^2 with
y^ = r + omega (1 - done) Q^_phi^(s', pi^_theta^(s')) (24b), Adam step (25); actor ascent on
(26)-(27), i.e. minimise -mean Q_phi(s, pi_theta(s)) with the gradient flowing through the whole
denoising chain; soft target updates (28)-(29) with rate epsilon = `tau`.

Exploration: the diffusion actor samples x^L ~ N(0, I) and adds sqrt(beta_bar_l) z at each
step (20), so its actions are stochastic by construction; `exploration_noise` optionally adds
N(0, sigma^2) to the [0, 1] action (clipped back), which the MLP actor needs (it is otherwise
deterministic). Greedy use (`explore=False`) drops the extra Gaussian noise; see `act`.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F

from rl.agents.args import D3PGArgs
from rl.agents.buffer import ReplayBuffer
from rl.agents.common import make_adam
from rl.agents.diffusion import DiffusionActor, NumpyDiffusionSampler
from rl.agents.networks import SOFTMAX_GAIN, Critic, FactoredCritic, MLPActor, SlotStateEncoder


class D3PG:
    """Actor, critic, their targets and the replay buffer E; `act` and `update`."""

    def __init__(
        self,
        encoder: SlotStateEncoder,
        act_dim: int,
        args: D3PGArgs,
        device: torch.device,
        seed: int,
        n_scores: int = 0,
        cache_fn=None,
    ):
        """`cache_fn`: scores (N, M) -> caches (N, M), for a factored critic on the companion
        state (16) (`rl.agents.networks.FactoredCritic`)."""
        self.args, self.device, self.act_dim = args, device, act_dim
        self.n_scores = n_scores
        if args.actor == "diffusion":
            self.actor = DiffusionActor(
                encoder,
                act_dim,
                args.denoising_steps,
                args.beta_min,
                args.beta_max,
                tuple(args.actor_hidden),
                args.step_embedding_dim,
                args.output_map,
                n_scores,
                args.clip_denoised,
            )
        elif args.actor == "mlp":
            self.actor = MLPActor(
                encoder, act_dim, tuple(args.actor_hidden), args.output_map, n_scores
            )
        else:
            raise ValueError(f"unknown actor '{args.actor}'; expected 'diffusion' or 'mlp'.")
        self.actor.to(device)
        if args.critic == "mlp":
            critic = Critic(
                copy.deepcopy(encoder), act_dim, tuple(args.critic_hidden), args.critic_sees_amended
            )
        elif args.critic == "factored":
            critic = FactoredCritic(copy.deepcopy(encoder), tuple(args.critic_hidden), cache_fn)
        else:
            raise ValueError(f"unknown critic '{args.critic}'; expected 'mlp' or 'factored'.")
        self.critic = critic.to(device)
        self.actor_target = copy.deepcopy(self.actor)
        self.critic_target = copy.deepcopy(self.critic)
        for p in (*self.actor_target.parameters(), *self.critic_target.parameters()):
            p.requires_grad_(False)
        # (targets, sources) for the soft updates, listed once (load_state_dict copies in place)
        self._target_pairs = (
            [*self.actor_target.parameters(), *self.critic_target.parameters()],
            [*self.actor.parameters(), *self.critic.parameters()],
        )
        self._critic_params = list(self.critic.parameters())
        self.actor_opt = make_adam(self.actor.parameters(), args.actor_lr)
        self.critic_opt = make_adam(self.critic.parameters(), args.critic_lr)
        self.buffer = ReplayBuffer(args.buffer_size, encoder.raw_dim, act_dim)
        # One explicit generator for all of the agent's noise (sampler, exploration).
        self.gen = torch.Generator(device=device)
        self.gen.manual_seed(seed)
        self.n_updates = 0
        self._samplers: dict[str, NumpyDiffusionSampler] = {}
        self.compile = False
        """torch.compile the losses (24) and (26): forward and backward become fused kernels
        (AOTAutograd). An execution option, not a hyperparameter (`TrainArgs.compile`): needs a
        C++ compiler, costs a compile once per process (docs/benchmarks.md), and agrees with
        eager to float rounding, not bit for bit."""
        self._compiled = None  # (critic loss, actor loss) after torch.compile, made on first use

    def _numpy_sampler(self, which: str) -> NumpyDiffusionSampler | None:
        """A live NumPy view of the diffusion actor ('actor') or its target ('actor_target') for
        the no-gradient passes on the CPU (acting, and pi^(s') in (24b)): these small chains
        cost torch's per-op dispatch, not arithmetic. Same noise draw from `self.gen` as the
        torch path. None where it does not apply (MLP actor, CUDA, the companion state (16))."""
        net = getattr(self, which)
        if not isinstance(net, DiffusionActor) or self.device.type != "cpu":
            return None
        if net.encoder.with_gamma:
            return None
        sampler = self._samplers.get(which)
        if sampler is None or sampler.n_steps != net.n_steps:
            sampler = self._samplers[which] = NumpyDiffusionSampler(net, live=True)
        return sampler

    def _sample_numpy(
        self, sampler, net, raw: np.ndarray, deterministic: bool, feats: np.ndarray | None = None
    ) -> torch.Tensor:
        noise = None
        if not deterministic:
            noise = net.sample_noise(raw.shape[0], self.gen, self.device).numpy()
        return torch.from_numpy(sampler(raw, noise, feats))

    # -- acting
    @torch.inference_mode()
    def act(self, raw_state: np.ndarray, explore: bool, deterministic: bool = False) -> np.ndarray:
        """Raw actions (N, act_dim) in [0, 1] for raw states (N, raw_dim).

        The diffusion sampler's noise is part of the policy and is always drawn (from the
        agent's generator) unless `deterministic` (the mean path, x^L = 0, z = 0);
        `explore` adds `exploration_noise`.
        """
        sampler = self._numpy_sampler("actor")
        if sampler is not None:
            raw = np.asarray(raw_state, dtype=np.float64)
            a = self._sample_numpy(sampler, self.actor, raw, deterministic)
        else:
            obs = torch.as_tensor(raw_state, dtype=torch.float32, device=self.device)
            a = self.actor(obs, self.gen, deterministic)
        if explore and self.args.exploration_noise > 0:
            a = self._explore(a)
        return a.cpu().numpy().astype(np.float64)

    def _explore(self, a: torch.Tensor) -> torch.Tensor:
        """Gaussian exploration noise. For the box maps: a + sigma z, clipped to [0, 1]. For the
        softmax map the noise goes into the logits (log a + gain sigma z, then the softmax
        again), so shares stay positive: additive noise clipped at 0 would cut users off (the
        same for 'simplex')."""
        sigma = self.args.exploration_noise
        z = torch.randn(a.shape, generator=self.gen, device=self.device)
        if self.args.output_map not in ("softmax", "simplex"):
            return (a + sigma * z).clamp(0.0, 1.0)
        u = (a.shape[1] - self.n_scores) // 2
        k = self.n_scores
        scores = (a[:, :k] + sigma * z[:, :k]).clamp(0.0, 1.0)
        logits = torch.log(a[:, k:].clamp_min(1e-12)) + SOFTMAX_GAIN * sigma * z[:, k:]
        b, xi = torch.softmax(logits[:, :u], -1), torch.softmax(logits[:, u:], -1)
        return torch.cat([scores, b, xi], dim=-1)

    # -- learning
    def ready(self) -> bool:
        return len(self.buffer) >= max(self.args.learning_starts, 1)

    def update(self, rng: np.random.Generator) -> dict[str, float]:
        """One critic step (24)-(25), one actor step (26)-(27), soft targets (28)-(29)."""
        a = self.args
        batch = self.buffer.sample(a.batch_size, rng, self.device)
        # The encoders hold no weights (fixed scaling), so the features of s and s' are
        # computed once, in one call, and shared by the four networks.
        obs, next_obs = batch["obs"], batch["next_obs"]
        feats, next_feats = self.actor.encoder(torch.cat([obs, next_obs])).chunk(2)
        with torch.no_grad():
            y_hat = a.reward_scale * batch["rew"]
            if a.discount > 0:  # with omega = 0 the target networks drop out of (24b)
                sampler = self._numpy_sampler("actor_target")
                if sampler is not None:
                    raw, f_np = next_obs.numpy(), next_feats.detach().numpy()
                    next_a = self._sample_numpy(sampler, self.actor_target, raw, False, f_np)
                else:
                    next_a = self.actor_target(next_obs, self.gen, feats=next_feats)
                q_next = self.critic_target(next_obs, next_a, feats=next_feats)
                y_hat = y_hat + a.discount * (1.0 - batch["done"]) * q_next
        critic_loss_fn, actor_loss_fn = self._loss_fns()
        critic_loss = critic_loss_fn(obs, feats, batch["act"], y_hat)
        self.critic_opt.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.critic_opt.step()

        for p in self._critic_params:
            p.requires_grad_(False)
        noise = None
        if isinstance(self.actor, DiffusionActor):  # drawn here: a compiled loss takes no generator
            noise = self.actor.sample_noise(obs.shape[0], self.gen, self.device)
        actor_loss = actor_loss_fn(obs, feats, noise)
        self.actor_opt.zero_grad(set_to_none=True)
        actor_loss.backward()
        self.actor_opt.step()
        for p in self._critic_params:
            p.requires_grad_(True)

        with torch.no_grad():  # else each lerp from the sources grows an autograd graph
            torch._foreach_lerp_(*self._target_pairs, a.tau)  # (28), (29), as `soft_update`
        self.n_updates += 1
        return {"critic_loss": critic_loss.item(), "actor_loss": actor_loss.item()}

    def _critic_loss(self, obs, feats, act, y_hat) -> torch.Tensor:
        """(24): 1/2 mean (y^ - Q_phi(s, a))^2."""
        return 0.5 * F.mse_loss(self.critic(obs, act, feats=feats), y_hat)

    def _actor_loss(self, obs, feats, noise) -> torch.Tensor:
        """(26): -mean Q_phi(s, pi_theta(s)), the gradient flowing through the whole chain."""
        action = self.actor(obs, None, feats=feats, noise=noise)
        return -self.critic(obs, action, feats=feats).mean()

    def _loss_fns(self):
        if not self.compile:
            return self._critic_loss, self._actor_loss
        if self._compiled is None:
            self._compiled = (
                torch.compile(self._critic_loss, dynamic=False),
                torch.compile(self._actor_loss, dynamic=False),
            )
        return self._compiled

    # -- checkpoints
    def state_dict(self, with_buffer: bool = True) -> dict:
        sd = {
            "actor": self.actor.state_dict(),
            "critic": self.critic.state_dict(),
            "actor_target": self.actor_target.state_dict(),
            "critic_target": self.critic_target.state_dict(),
            "actor_opt": self.actor_opt.state_dict(),
            "critic_opt": self.critic_opt.state_dict(),
            "gen": self.gen.get_state(),
            "n_updates": self.n_updates,
        }
        if with_buffer:
            sd["buffer"] = self.buffer.state_dict()
        return sd

    def load_state_dict(self, sd: dict) -> None:
        self.actor.load_state_dict(sd["actor"])
        if "critic" in sd:
            self.critic.load_state_dict(sd["critic"])
            self.actor_target.load_state_dict(sd["actor_target"])
            self.critic_target.load_state_dict(sd["critic_target"])
            self.actor_opt.load_state_dict(sd["actor_opt"])
            self.critic_opt.load_state_dict(sd["critic_opt"])
            self.gen.set_state(sd["gen"])
            self.n_updates = int(sd["n_updates"])
        if "buffer" in sd:
            self.buffer.load_state_dict(sd["buffer"])
