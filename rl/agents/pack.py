"""Packs: K independent D3PG learners updated together, each as it would be alone.

The learned runs of a sweep that share network shapes (training seeds, cache capacities) are
stepped in one process: each member keeps its own `D3PG` (replay buffer E, generators,
environment copies, checkpoints), and `PackedD3PG.update` does the members' updates (24)-(29)
at once. Their parameters are stacked on a leading agent axis, `(K, ...)`, and each member's
own parameters become views of its slice (`Tensor.data`), so acting, the NumPy sampler and
checkpoints see the packed training without copies. The forwards are the networks' own, called
with `torch.func.functional_call` on the stacked tensors (`rl.agents.networks`, "packs of
agents"): one `baddbmm` per layer for all K, whose per-agent slices are the unpacked GEMMs.
The losses are summed over the members (each member's gradient is its own loss's), and each
member's own Adam steps its slice.

Each member draws its minibatch from its own NumPy generator and its noise from its own torch
generator, in its unpacked order, so on this CPU a member of a pack is bit for bit the run it
would be alone (tests/rl/agents/test_pack.py); a float-rounding difference (another BLAS,
CUDA) would only change the trajectory, not what is computed.

`release()` ends a pack: the members' parameters become their own tensors again. A member
saves, resumes and evaluates as an unpacked agent at any time (its state dict is its own).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import functional_call

from rl.agents.common import EpisodeStats
from rl.agents.d3pg import D3PG
from rl.agents.diffusion import DiffusionActor

NETWORKS = ("actor", "critic", "actor_target", "critic_target")


class PackError(ValueError):
    """Members that cannot be packed (one sentence naming what differs)."""


def _check_members(members: list[D3PG]) -> None:
    first = members[0]
    for m in members[1:]:
        if m.args != first.args:
            raise PackError("packed D3PG members must share their hyperparameters.")
        for name in NETWORKS:
            a, b = getattr(first, name).state_dict(), getattr(m, name).state_dict()
            if {k: v.shape for k, v in a.items()} != {k: v.shape for k, v in b.items()}:
                raise PackError(f"packed D3PG members' {name} networks differ in shape.")
        for key, buf in first.actor.encoder.state_dict().items():
            if not torch.equal(buf, m.actor.encoder.state_dict()[key]):
                raise PackError(f"packed D3PG members' state encoders differ ({key}).")
        if m.compile:
            raise PackError("compiled D3PG members are not packed.")


ALIGN = 16
"""Floats per 64 bytes: each member's slice of a stacked parameter starts on a 64-byte
boundary, as its own tensor would. BLAS kernels (MKL's, OpenBLAS's) take other code paths on
unaligned data and round differently, so unaligned slices would break bit-equality."""


class _Stack:
    """The stacked parameters of one network over the members, (K, ...) views of one padded
    buffer per parameter (`ALIGN`); the members' own parameters are views of their rows."""

    def __init__(self, modules: list[torch.nn.Module], trainable: bool):
        self.names = [n for n, _ in modules[0].named_parameters()]
        per_member = [dict(m.named_parameters()) for m in modules]
        self.shapes, self.buffers = {}, {}
        for n in self.names:
            first = per_member[0][n]
            shape, numel = first.shape, first.numel()
            buf = torch.zeros(len(modules), numel + (-numel % ALIGN), device=first.device)
            buf[:, :numel] = torch.stack([p[n].detach().reshape(-1) for p in per_member])
            self.shapes[n], self.buffers[n] = shape, buf.requires_grad_(trainable)
            for k, p in enumerate(per_member):
                p[n].data = buf.data[k, :numel].view(shape)
        self.modules = modules

    def _rows(self, buf: torch.Tensor, n: str) -> torch.Tensor:
        return buf[:, : self.shapes[n].numel()].view(len(self.modules), *self.shapes[n])

    @property
    def params(self) -> dict[str, torch.Tensor]:
        """{name: (K, ...)} for `functional_call` (views of the buffers, made per call)."""
        return {n: self._rows(self.buffers[n], n) for n in self.names}

    def grads(self) -> list[torch.Tensor]:
        """The (K, ...) gradients of the last backward, in parameter order."""
        return [self._rows(self.buffers[n].grad, n) for n in self.names]

    def flat(self) -> list[torch.Tensor]:
        """The padded buffers without autograd history, in parameter order (elementwise
        in-place updates: the padding stays zero)."""
        return [self.buffers[n].data for n in self.names]

    def clear_grads(self) -> None:
        for buf in self.buffers.values():
            buf.grad = None

    def release(self) -> None:
        """Each member's parameters its own tensors again (same values)."""
        for m in self.modules:
            for p in m.parameters():
                p.data = p.data.clone()


class PackedD3PG:
    """K `D3PG` members with one update for all (module docstring)."""

    def __init__(self, members: list[D3PG]):
        if not members:
            raise PackError("a pack needs at least one member.")
        _check_members(members)
        self.members = members
        self.args, self.device = members[0].args, members[0].device
        self.k = len(members)
        self.template = members[0]  # its modules are the functional templates
        self.stacks = {
            name: _Stack([getattr(m, name) for m in members], trainable=name in ("actor", "critic"))
            for name in NETWORKS
        }
        for m in members:
            m._samplers.clear()  # the live NumPy samplers view the old tensors
        # each member's parameters (views of the stacks) and optimiser, listed once: module
        # traversal per step is a measurable share of a packed update
        self._optimised = {
            name: [
                (list(getattr(m, name).parameters()), getattr(m, f"{name}_opt")) for m in members
            ]
            for name in ("actor", "critic")
        }
        self._target_pairs = (
            self.stacks["actor_target"].flat() + self.stacks["critic_target"].flat(),
            self.stacks["actor"].flat() + self.stacks["critic"].flat(),
        )
        # The single-timescale DDPG's critic maps scores to caches in NumPy, each member with
        # its own capacity: packed calls get the members' maps, one per row of the agent axis.
        self._cache_fn = None
        if getattr(self.template.critic, "cache_fn", None) is not None:
            fns = [m.critic.cache_fn for m in members]  # the targets' are the same (deepcopy)
            self._cache_fn = lambda scores: np.stack(
                [f(s) for f, s in zip(fns, scores, strict=True)]
            )

    def release(self) -> None:
        """End the pack: the members' parameters their own tensors again."""
        for stack in self.stacks.values():
            stack.release()
        for m in self.members:
            m._samplers.clear()

    def _step(self, name: str) -> None:
        """Each member's own Adam on its slice of the stacked gradients: a fused Adam over
        the stacked tensors rounds some elements differently (its vector and scalar paths
        split them elsewhere), and K small calls cost little against the update."""
        stack = self.stacks[name]
        grads = stack.grads()
        for k, (params, opt) in enumerate(self._optimised[name]):
            for p, g in zip(params, grads, strict=True):
                p.grad = g[k]
            opt.step()
        stack.clear_grads()

    # -- learning
    def ready(self) -> bool:
        return all(m.ready() for m in self.members)

    def _call(self, name: str, *args, detach: bool = False, **kwargs):
        params = self.stacks[name].params
        if detach:
            params = {n: p.detach() for n, p in params.items()}
        module = getattr(self.template, name)
        own = getattr(module, "cache_fn", None)
        if own is None:
            return functional_call(module, params, args, kwargs)
        module.cache_fn = self._cache_fn  # the template's own map for this call only
        try:
            return functional_call(module, params, args, kwargs)
        finally:
            module.cache_fn = own

    def _batches(self, rngs: list[np.random.Generator]) -> dict[str, torch.Tensor]:
        batches = [
            m.buffer.sample(self.args.batch_size, rng, self.device)
            for m, rng in zip(self.members, rngs, strict=True)
        ]
        return {key: torch.stack([b[key] for b in batches]) for key in batches[0]}

    def _targets(self, batch, next_feats) -> torch.Tensor:
        """y^ of (24b), (K, E)."""
        a = self.args
        y_hat = a.reward_scale * batch["rew"]
        if a.discount > 0:
            next_a = torch.stack(
                [
                    _target_action(m, batch["next_obs"][k], next_feats[k])
                    for k, m in enumerate(self.members)
                ]
            )
            q_next = self._call("critic_target", batch["next_obs"], next_a, feats=next_feats)
            y_hat = y_hat + a.discount * (1.0 - batch["done"]) * q_next
        return y_hat

    def update(self, rngs: list[np.random.Generator]) -> list[dict[str, float]]:
        """Every member's `D3PG.update`, with its own generator from `rngs`; their losses."""
        a = self.args
        batch = self._batches(rngs)
        obs, next_obs = batch["obs"], batch["next_obs"]
        k, e = obs.shape[:2]
        both = torch.cat([obs, next_obs], dim=1).reshape(k * 2 * e, -1)
        feats, next_feats = self.template.actor.encoder(both).reshape(k, 2 * e, -1).chunk(2, 1)
        with torch.no_grad():
            y_hat = self._targets(batch, next_feats)
        q = self._call("critic", obs, batch["act"], feats=feats)
        critic_losses = 0.5 * F.mse_loss(q, y_hat, reduction="none").mean(-1)
        critic_losses.sum().backward()
        self._step("critic")

        noise = None
        if isinstance(self.template.actor, DiffusionActor):
            noise = torch.stack([m.actor.sample_noise(e, m.gen, self.device) for m in self.members])
        action = self._call("actor", obs, None, feats=feats, noise=noise)
        actor_losses = -self._call("critic", obs, action, feats=feats, detach=True).mean(-1)
        actor_losses.sum().backward()
        self._step("actor")

        with torch.no_grad():
            torch._foreach_lerp_(*self._target_pairs, a.tau)  # (28), (29)
        for m in self.members:
            m.n_updates += 1
        c, act = critic_losses.tolist(), actor_losses.tolist()
        return [{"critic_loss": c[i], "actor_loss": act[i]} for i in range(k)]


def _target_action(member: D3PG, next_obs: torch.Tensor, next_feats: torch.Tensor):
    """pi^(s') of (24b) for one member, as its own update draws it."""
    sampler = member._numpy_sampler("actor_target")
    if sampler is not None:
        raw, f_np = next_obs.numpy(), next_feats.detach().numpy()
        return member._sample_numpy(sampler, member.actor_target, raw, False, f_np)
    return member.actor_target(next_obs, member.gen, feats=next_feats)


def run_pack_episode(trainers: list, pack: PackedD3PG) -> list[dict[str, float]]:
    """One episode of every trainer in `trainers` (`T2DRLTrainer`s or the single-timescale
    `DDPGTrainer`s, the members of `pack`, in order), in lockstep: each acts, steps and stores
    as its `run_episode` does, the D3PG updates of a slot are the pack's, the DDQN's of a frame
    (T2DRL) each member's own. Their episode rows."""
    stats = [EpisodeStats() for _ in trainers]
    steps = [tr.episode_steps(st) for tr, st in zip(trainers, stats, strict=True)]
    rngs = [tr.rng for tr in trainers]
    for points in zip(*steps, strict=False):  # generators end together: same T and K
        if points[0] == "slot":
            if pack.ready():
                for _ in range(pack.args.updates_per_step):
                    for st, losses in zip(stats, pack.update(rngs), strict=True):
                        st.add_losses(losses)
        else:
            for tr, st in zip(trainers, stats, strict=True):
                tr.frame_updates(st)
    return [tr.end_episode(st) for tr, st in zip(trainers, stats, strict=True)]
