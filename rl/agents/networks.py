"""Small networks of the agents: observation encoders, the MLP actor, critics, Q-nets (the
diffusion actor is `rl.agents.diffusion`).

Sizes follow section 7.1 of the main paper: denoiser 3 x 128 (ReLU), D3PG critic 2 x 256,
DDQN Q-network 2 x 128. The replay buffers hold the *raw* states ((21), (30), companion (16));
the encoders below normalise them inside the network, so acting and learning see the same
features and checkpoints need no separate scaler.

Observation normalisation (`SlotStateEncoder`), per user u and model m:

| raw entry              | feature                                        | typical range |
|------------------------|------------------------------------------------|---------------|
| h_u (linear W/W)       | (log10(h_u) + 9) / 2, clipped to [-4, 4]        | [-2, 2]       |
| phi_u (0-based id)     | one-hot over the M models                      | {0, 1}        |
| rho_m                  | as is                                          | {0, 1}        |
| d_in,u (bits)          | (d_in - d_in_min) / (d_in_max - d_in_min)      | [0, 1]        |
| d_op,u (bits)          | d_op / max_m d_op                              | (0, 1]        |
| gamma (companion (16)) | gamma / max(Gamma)                             | (0, 1]        |

log10(h) of the paper's cell spans about -12.5 (cell corner, deep fade) to -5 (next to the BS).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from testbed.config import BITS_PER_MB, EdgeConfig

# --------------------------------------------------------------------------- packs of agents
#
# Every network here also runs as a *pack* of K agents (`rl.agents.pack`): the same module
# called through `torch.func.functional_call` with parameters stacked on a leading agent axis
# (weights (K, out, in), biases (K, out)) and inputs (K, ...). The forwards are written for
# both: slices on the last axis, and the two products below, which are `F.linear` / `addmm` for
# one agent (the unpacked numbers are unchanged) and `baddbmm` for a pack (each agent's slice is
# the same GEMM, bit for bit, on this CPU: tests/rl/agents/test_pack.py).


BMM_MIN_ROWS, BMM_MIN_WIDTH = 32, 12
"""Rows per agent, and inputs and outputs per layer, from which a packed product is one
`baddbmm` (below either, one call per agent): on this CPU (torch's MKL) the batched GEMM and
its gradients then equal the unpacked `addmm`'s bit for bit, and small problems take other
kernels (a one-off sweep of layers 2-256 wide at 32-640 rows found no other difference;
tests/rl/agents/test_pack.py keeps narrow, wide and short cases)."""


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """x W^T + b for one agent (W (out, in)) or a pack (W (K, out, in), x (K, ..., in); an
    unpacked x (..., in) is shared by the K agents)."""
    if weight.dim() == 2:
        return F.linear(x, weight, bias)
    return addmm(bias, x, weight.mT)


def addmm(bias: torch.Tensor | None, x: torch.Tensor, w_t: torch.Tensor) -> torch.Tensor:
    """bias + x w_t (`torch.addmm`), or per agent of a pack when w_t is (K, in, out): x (K, ...,
    in) or shared (..., in), bias (K, out), (K, ..., out) or None."""
    if w_t.dim() == 2:
        return torch.addmm(bias, x, w_t) if bias is not None else x @ w_t
    k = w_t.shape[0]
    if x.dim() < 3 or x.shape[0] != k:
        x = x.expand(k, *x.shape)
    lead = x.shape[1:-1]
    x3 = x.reshape(k, -1, x.shape[-1])
    if bias is not None and bias.dim() > 2:
        bias = bias.reshape(k, -1, bias.shape[-1])
    rows, n_in, n_out = x3.shape[1], *w_t.shape[1:]
    if rows < BMM_MIN_ROWS or min(n_in, n_out) < BMM_MIN_WIDTH or (rows * min(n_in, n_out)) % 16:
        # few rows (the diffusion step table), a narrow layer (one output is a matrix-vector
        # kernel unpacked; narrow gradients take other kernels) or agent slices off 64-byte
        # boundaries (MKL rounds unaligned data otherwise): products a batched GEMM does not
        # reproduce bit for bit, so one call per agent, on 64-byte aligned inputs
        # (unbind, not x3[i]: the backward of K selections would zero K full-size tensors)
        bs = bias.unbind(0) if bias is not None else (None,) * k
        xs = [_aligned(t) for t in x3.unbind(0)]
        out = torch.stack([addmm(b, t, w) for b, t, w in zip(bs, xs, w_t.unbind(0), strict=True)])
    elif bias is None:
        out = torch.bmm(x3, w_t)
    else:
        out = torch.baddbmm(_PackedBias.apply(bias) if bias.dim() == 2 else bias, x3, w_t)
    return out.reshape(k, *lead, w_t.shape[-1])


def _aligned(t: torch.Tensor) -> torch.Tensor:
    """`t`, or a copy of it if it starts off a 64-byte boundary (as a fresh tensor does not)."""
    return t if t.data_ptr() % 64 == 0 else t.clone()


class _PackedBias(torch.autograd.Function):
    """bias (K, out) -> (K, 1, out) for `baddbmm`, whose gradient is summed over the rows
    agent by agent: the unpacked reduction of a (rows, out) gradient, bit for bit (one
    reduction over the (K, rows, out) tensor rounds some sums differently). The forward takes
    `ctx` (no `setup_context`): with one, every `apply` binds the forward's signature through
    `inspect`, a cost per packed layer call."""

    @staticmethod
    def forward(ctx, bias):
        return bias[:, None, :]

    @staticmethod
    def backward(ctx, grad):
        return torch.stack([g.sum(0) for g in grad.unbind(0)])


class Linear(nn.Linear):
    """`nn.Linear` that also runs packed (`linear`); same parameters and state-dict names."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear(x, self.weight, self.bias)


def mlp(n_in: int, hidden: tuple[int, ...], n_out: int) -> nn.Sequential:
    """Fully connected layers with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    last = n_in
    for h in hidden:
        layers += [Linear(last, h), nn.ReLU()]
        last = h
    layers.append(Linear(last, n_out))
    return nn.Sequential(*layers)


# --------------------------------------------------------------------------- observations


def raw_slot_state(state, cache: np.ndarray, gamma: np.ndarray | None = None) -> np.ndarray:
    """Raw state rows, (N, 4U + M) for (21): [h, phi, rho, d_in, d_op];
    with `gamma` (companion (16), no cache): (N, 1 + 4U) = [gamma, h, phi, d_in, d_op]."""
    parts = [state.channel_gain, state.model.astype(np.float64)]
    if gamma is None:
        parts.append(np.asarray(cache, dtype=np.float64))
    parts += [state.input_bits, state.output_bits]
    if gamma is not None:
        parts.insert(0, np.asarray(gamma, dtype=np.float64)[:, None])
    return np.concatenate(parts, axis=-1)


class SlotStateEncoder(nn.Module):
    """Raw state (21) (or companion (16) with `with_gamma`) -> normalised features (table above)."""

    def __init__(self, cfg: EdgeConfig, with_gamma: bool = False):
        super().__init__()
        self.u, self.m, self.with_gamma = cfg.n_users, cfg.n_models, with_gamma
        self.step_amender = getattr(cfg, "step_amender", "normalise")  # for `amend_torch`
        self.with_cache = not with_gamma
        lo = cfg.input_size_min_MB * BITS_PER_MB
        span = max((cfg.input_size_max_MB - cfg.input_size_min_MB) * BITS_PER_MB, 1.0)
        self.register_buffer("d_in_lo", torch.tensor(lo, dtype=torch.float32))
        self.register_buffer("d_in_span", torch.tensor(span, dtype=torch.float32))
        d_op_max = max(cfg.model_output_MB) * BITS_PER_MB
        self.register_buffer("d_op_max", torch.tensor(d_op_max, dtype=torch.float32))
        self.register_buffer(
            "gamma_max", torch.tensor(max(max(cfg.popularity_states), 1e-6), dtype=torch.float32)
        )
        self.raw_dim = 4 * self.u + (1 if with_gamma else self.m)
        self.out_dim = self.u * (3 + self.m) + (1 if with_gamma else self.m)

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        u, m = self.u, self.m
        i = 0
        feats = []
        if self.with_gamma:
            feats.append(raw[..., :1] / self.gamma_max)
            i = 1
        h = raw[..., i : i + u]
        feats.append(((torch.log10(h.clamp_min(1e-30)) + 9.0) / 2.0).clamp(-4.0, 4.0))
        phi = raw[..., i + u : i + 2 * u].round().long().clamp(0, m - 1)
        feats.append(F.one_hot(phi, m).flatten(-2).to(raw.dtype))
        i += 2 * u
        if self.with_cache:
            feats.append(raw[..., i : i + m])
            i += m
        feats.append((raw[..., i : i + u] - self.d_in_lo) / self.d_in_span)
        feats.append(raw[..., i + u : i + 2 * u] / self.d_op_max)
        return torch.cat(feats, dim=-1)


# --------------------------------------------------------------------------- actors


SOFTMAX_GAIN = 3.0
OUTPUT_MAPS = ("clamp", "tanh", "softmax", "simplex")


def squash(x: torch.Tensor, output_map: str, n_scores: int = 0) -> torch.Tensor:
    """Actor output -> raw action in [0, 1] (then amended by the simulator, section 6.2.2).

    'clamp': clamp to [-1, 1] then (x + 1) / 2, as the DDPM sampler clips x^0 (reference code of
    the paper's authors); 'tanh': (tanh(x) + 1) / 2, smooth, never exactly 0 or 1;
    'softmax': the first `n_scores` entries (cache scores of the single-timescale DDPG) through a
    sigmoid, then softmax(3 tanh(x)) over the U bandwidth entries and over the U step entries
    (shares between users differ by at most e^6 ~ 400), so the
    action already is a split (the amender keeps b as is and renormalises xi over the hits):
    no scale ambiguity for the critic, no saturation at the box edges;
    'simplex': the same split with a plain softmax(x) per resource. The gain-3 tanh of
    'softmax' saturates (|x| ~ 6 after a few thousand updates on the paper's cell) and its
    gradient vanishes there, so the actor stalls near the equal split even when cloned onto
    the oracle's actions; a plain softmax has no such ceiling (docs/rl.md).
    """
    if output_map == "clamp":
        return (x.clamp(-1.0, 1.0) + 1.0) / 2.0
    if output_map == "tanh":
        return (torch.tanh(x) + 1.0) / 2.0
    if output_map in ("softmax", "simplex"):
        alloc = x[..., n_scores:]
        if output_map == "softmax":
            alloc = SOFTMAX_GAIN * torch.tanh(alloc)
        scores = x[..., :n_scores]
        u = alloc.shape[-1] // 2
        parts = [torch.sigmoid(scores)] if n_scores else []
        parts += [torch.softmax(alloc[..., :u], -1), torch.softmax(alloc[..., u:], -1)]
        return torch.cat(parts, dim=-1)
    raise ValueError(
        f"unknown output_map '{output_map}'; expected one of {', '.join(OUTPUT_MAPS)}."
    )


class MLPActor(nn.Module):
    """The DDPG actor of the benchmark 'DDPG-based T2DRL' (7.2) and the companion paper (IV-B1)."""

    def __init__(
        self,
        encoder: SlotStateEncoder,
        act_dim: int,
        hidden: tuple[int, ...] = (128, 128, 128),
        output_map: str = "tanh",
        n_scores: int = 0,
    ):
        super().__init__()
        self.encoder, self.act_dim, self.output_map = encoder, act_dim, output_map
        self.n_scores = n_scores
        self.net = mlp(encoder.out_dim, hidden, act_dim)

    def forward(
        self, raw_state, generator=None, deterministic: bool = False, feats=None, noise=None
    ) -> torch.Tensor:
        s = self.encoder(raw_state) if feats is None else feats
        return squash(self.net(s), self.output_map, self.n_scores)


# --------------------------------------------------------------------------- critics


def amend_torch(raw_state: torch.Tensor, action: torch.Tensor, encoder: SlotStateEncoder):
    """The amender of 6.2.2, differentiable: b = b~ / sum b~; xi = xi~ rho_phi / sum(xi~ rho_phi)
    (over all users when the state has no cache, i.e. the companion state (16)); with the
    testbed's `step_amender="cap"`, xi is only scaled down when its sum exceeds 1. Leading
    cache scores (single-timescale DDPG) pass through unchanged."""
    u, m = encoder.u, encoder.m
    n_scores = action.shape[-1] - 2 * u
    scores, b, xi = action[..., :n_scores], action[..., n_scores : n_scores + u], action[..., -u:]
    hit = None
    if encoder.with_cache:
        phi = raw_state[..., u : 2 * u].round().long().clamp(0, m - 1)
        hit = torch.gather(raw_state[..., 2 * u : 2 * u + m], -1, phi)
    b, xi = amend_shares(b, xi, hit, encoder.step_amender)
    return torch.cat([scores, b, xi], dim=-1)


def amend_shares(b, xi, hit, step_amender: str):
    """(11e)-(11g) in torch: b over all users, xi over the hits (all users when `hit` is None)."""
    b = b / b.sum(-1, keepdim=True).clamp_min(1e-8)
    if hit is not None:
        xi = xi * hit
    if step_amender == "cap":  # testbed option: scale down only above a sum of 1
        return b, xi / xi.sum(-1, keepdim=True).clamp_min(1.0)
    return b, xi / xi.sum(-1, keepdim=True).clamp_min(1e-8)


class Critic(nn.Module):
    """Q_phi(s, a): MLP (2 x 256, ReLU) on [features(s), a] (6.2.3).

    With `amended`, the critic sees the action the simulator applies (`amend_torch`), not the
    raw actor output: Q no longer has to learn that the amender ignores the raw action's scale,
    and the actor gets no gradient along that direction (no drift to the box edges).
    """

    def __init__(self, encoder: SlotStateEncoder, act_dim: int, hidden=(256, 256), amended=False):
        super().__init__()
        self.encoder, self.amended = encoder, amended
        self.net = mlp(encoder.out_dim + act_dim, hidden, 1)

    def forward(
        self, raw_state: torch.Tensor, action: torch.Tensor, feats: torch.Tensor | None = None
    ) -> torch.Tensor:
        """`feats`: `encoder(raw_state)` if the caller already has it (shared within an update)."""
        if self.amended:
            action = amend_torch(raw_state, action, self.encoder)
        s = self.encoder(raw_state) if feats is None else feats
        return self.net(torch.cat([s, action], dim=-1)).squeeze(-1)


def per_user_state(feats: torch.Tensor, encoder: SlotStateEncoder):
    """The encoder's flat features -> ((B, U, 3 + M) per-user [log h, d_in, d_op, one-hot phi],
    (B, M) rho or None, (B, 1) gamma feature or None), following `SlotStateEncoder`'s layout."""
    u, m = encoder.u, encoder.m
    i, gamma = 0, None
    if encoder.with_gamma:
        gamma, i = feats[..., :1], 1
    h = feats[..., i : i + u]
    onehot = feats[..., i + u : i + u + u * m].reshape(*feats.shape[:-1], u, m)
    i += u + u * m
    rho = None
    if encoder.with_cache:
        rho, i = feats[..., i : i + m], i + m
    d_in, d_op = feats[..., i : i + u], feats[..., i + u : i + 2 * u]
    per_user = torch.cat([h[..., None], d_in[..., None], d_op[..., None], onehot], dim=-1)
    return per_user, rho, gamma


class FactoredCritic(nn.Module):
    """Q_phi(s, a) = -(1/U) sum_u q(s_u, b_u, xi_u): one shared per-user MLP (ours).

    The slot reward (23) is a mean over users of per-user costs, each a function of that user's
    own state and its amended (b_u, xi_u) (section 4); this critic has that structure, so it
    generalises across actions where one MLP over [features(s), a] (`Critic`) fits only the
    policy's own (docs/rl.md). It is trained on the same scalar reward by the unchanged
    loss (24). Per-user input: log h, d_in, d_op, one-hot phi_u, the hit flag rho[phi_u] and the
    amended shares in a scale-free form (U b_u, log(U b_u), xi_u).

    The single-timescale DDPG's state (16) has no cache: its actor's cache scores decide it.
    There `cache_fn` maps scores to the cache (`rl.agents.ddpg.scores_to_cache`, no
    gradient) for the hit flag, and the requested model's score is one more input, through
    which the scores get their gradient.
    """

    def __init__(self, encoder: SlotStateEncoder, hidden=(256, 256), cache_fn=None):
        super().__init__()
        if encoder.with_gamma and cache_fn is None:
            raise ValueError("a factored critic on the companion state (16) needs cache_fn.")
        self.encoder, self.cache_fn = encoder, cache_fn
        n_in = 3 + encoder.m + 1 + 3 + (2 if encoder.with_gamma else 0)
        self.net = mlp(n_in, tuple(hidden), 1)

    def per_user_cost(self, raw_state, action, feats=None) -> torch.Tensor:
        """(B, U) q(s_u, b_u, xi_u), the critic's estimate of each user's cost (scaled)."""
        enc = self.encoder
        u = enc.u
        s = enc(raw_state) if feats is None else feats
        per_user, rho, gamma = per_user_state(s, enc)
        onehot = per_user[..., 3:]
        n_scores = action.shape[-1] - 2 * u
        scores, b, xi = action[..., :n_scores], action[..., n_scores:-u], action[..., -u:]
        extra = []
        if rho is not None:
            hit = (onehot * rho[..., None, :]).sum(-1)
        else:
            cache = torch.as_tensor(
                self.cache_fn(scores.detach().cpu().numpy().astype(np.float64)),
                dtype=s.dtype,
                device=s.device,
            )
            hit = (onehot * cache[..., None, :]).sum(-1)
            requested = (onehot * scores[..., None, :]).sum(-1, True)
            extra = [gamma.expand(*gamma.shape[:-1], u)[..., None], requested]
        b, xi = amend_shares(b, xi, hit, enc.step_amender)
        ub = u * b
        shares = [ub[..., None], torch.log(ub.clamp_min(1e-8))[..., None], xi[..., None]]
        x = torch.cat([per_user, hit[..., None], *shares, *extra], dim=-1)
        return self.net(x).squeeze(-1)

    def forward(self, raw_state, action, feats=None) -> torch.Tensor:
        return -self.per_user_cost(raw_state, action, feats).mean(-1)


class QNetwork(nn.Module):
    """DDQN Q_eta(s(t), .): gamma(t) (30) -> one Q-value per cache index 0..2^M - 1 (2 x 128).

    gamma is fed as gamma / max(Gamma) (in (0, 1]).
    """

    def __init__(self, n_models: int, gamma_max: float, hidden=(128, 128)):
        super().__init__()
        self.register_buffer("gamma_max", torch.tensor(float(max(gamma_max, 1e-6))))
        self.net = mlp(1, hidden, 2**n_models)

    def forward(self, gamma: torch.Tensor) -> torch.Tensor:
        return self.net(gamma.reshape(-1, 1) / self.gamma_max)


class CacheQNetwork(nn.Module):
    """DDQN Q_eta(s(t), a(t)) with the cache as an input (6.3.3's reading; ours to build):
    [gamma / max(Gamma), one-hot of gamma among the popularity states Gamma, rho (M)] -> one
    value (2 x 128). The greedy action enumerates the caches that fit (11d) (`rl.agents.ddqn.DDQN`),
    so values are shared between caches that hold the same models, where the 2^M-output
    `QNetwork` learns each cache on its own. The one-hot lets the best cache differ between
    popularity states whose gamma values are close (a scalar input alone gave one cache for
    all three states of the paper's Gamma at U = 18)."""

    def __init__(self, n_models: int, gammas: tuple[float, ...], hidden=(128, 128)):
        super().__init__()
        self.register_buffer("gammas", torch.tensor(sorted(gammas), dtype=torch.float32))
        self.register_buffer("gamma_max", torch.tensor(float(max(max(gammas), 1e-6))))
        self.net = mlp(1 + len(gammas) + n_models, hidden, 1)

    def forward(self, gamma: torch.Tensor, caches: torch.Tensor) -> torch.Tensor:
        """gamma (B,), caches (B, C, M) or (C, M) -> Q (B, C)."""
        g = gamma.reshape(-1, 1)
        state = (g - self.gammas).abs().argmin(-1)  # the nearest popularity state
        feats = torch.cat([g / self.gamma_max, F.one_hot(state, len(self.gammas)).to(g)], -1)
        caches = caches.to(g.dtype)
        if caches.dim() == 2:
            caches = caches.expand(g.shape[0], -1, -1)
        feats = feats[:, None, :].expand(-1, caches.shape[1], -1)
        return self.net(torch.cat([feats, caches], dim=-1)).squeeze(-1)
