"""Small networks of `rl/`: observation encoders, the diffusion actor, the MLP actor, critics, Q-nets.

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

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from testbed.config import BITS_PER_MB, EdgeConfig


def mlp(n_in: int, hidden: tuple[int, ...], n_out: int) -> nn.Sequential:
    """Fully connected layers with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    last = n_in
    for h in hidden:
        layers += [nn.Linear(last, h), nn.ReLU()]
        last = h
    layers.append(nn.Linear(last, n_out))
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
            feats.append(raw[:, :1] / self.gamma_max)
            i = 1
        h = raw[:, i : i + u]
        feats.append(((torch.log10(h.clamp_min(1e-30)) + 9.0) / 2.0).clamp(-4.0, 4.0))
        phi = raw[:, i + u : i + 2 * u].round().long().clamp(0, m - 1)
        feats.append(F.one_hot(phi, m).flatten(1).to(raw.dtype))
        i += 2 * u
        if self.with_cache:
            feats.append(raw[:, i : i + m])
            i += m
        feats.append((raw[:, i : i + u] - self.d_in_lo) / self.d_in_span)
        feats.append(raw[:, i + u : i + 2 * u] / self.d_op_max)
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
        alloc = x[:, n_scores:]
        if output_map == "softmax":
            alloc = SOFTMAX_GAIN * torch.tanh(alloc)
        scores = x[:, :n_scores]
        u = alloc.shape[1] // 2
        parts = [torch.sigmoid(scores)] if n_scores else []
        parts += [torch.softmax(alloc[:, :u], -1), torch.softmax(alloc[:, u:], -1)]
        return torch.cat(parts, dim=-1)
    raise ValueError(
        f"unknown output_map '{output_map}'; expected one of {', '.join(OUTPUT_MAPS)}."
    )


def sinusoidal_embedding(step: torch.Tensor, dim: int) -> torch.Tensor:
    """Transformer-style embedding of the denoising step l (B,) -> (B, dim)."""
    half = dim // 2
    freqs = torch.exp(
        -math.log(10000.0) * torch.arange(half, device=step.device) / max(half - 1, 1)
    )
    args = step.float()[:, None] * freqs[None, :]
    return torch.cat([args.sin(), args.cos()], dim=-1)


def diffusion_schedule(n_steps: int, beta_min: float, beta_max: float) -> dict[str, torch.Tensor]:
    """beta_l = 1 - exp(-beta_min / L - (2l - 1) / (2 L^2) (beta_max - beta_min)), l = 1..L
    (formula under (14)); alpha_l, alpha_bar_l (16) and the posterior variance beta_bar_l (17).
    Index 0 of each tensor is step l = 1."""
    L = n_steps
    ell = torch.arange(1, L + 1, dtype=torch.float64)
    beta = 1.0 - torch.exp(-beta_min / L - (2 * ell - 1) / (2 * L**2) * (beta_max - beta_min))
    alpha = 1.0 - beta
    alpha_bar = torch.cumprod(alpha, 0)
    alpha_bar_prev = torch.cat([torch.ones(1, dtype=torch.float64), alpha_bar[:-1]])
    beta_bar = (1.0 - alpha_bar_prev) / (1.0 - alpha_bar) * beta
    return {
        "beta": beta.float(),
        "alpha": alpha.float(),
        "alpha_bar": alpha_bar.float(),
        "beta_bar": beta_bar.float(),
    }


class Denoiser(nn.Module):
    """eps_theta(x^l, l, s): an MLP on the concatenation [x^l, emb(l), features(s)].

    The first layer is stored as three blocks (W_x x + W_t emb(l) + W_s s + b, the same function
    as one Linear on the concatenation) so that W_s s is computed once per sample, not once per
    denoising step, and emb(l) comes from a fixed sinusoidal table.
    """

    def __init__(self, act_dim: int, state_dim: int, hidden: tuple[int, ...], t_dim: int):
        super().__init__()
        self.t_dim = t_dim
        self.in_x = nn.Linear(act_dim, hidden[0])
        self.in_t = nn.Linear(t_dim, hidden[0], bias=False)
        self.in_s = nn.Linear(state_dim, hidden[0], bias=False)
        self.body = nn.Sequential(nn.ReLU(), mlp(hidden[0], tuple(hidden[1:]), act_dim))

    def state_part(self, s: torch.Tensor) -> torch.Tensor:
        return self.in_s(s)

    def forward(self, x: torch.Tensor, step_part: torch.Tensor, state_part: torch.Tensor):
        return self.body(self.in_x(x) + step_part + state_part)


class DiffusionActor(nn.Module):
    """The D3PG actor: the reverse process (17)-(20) of a DDPM over the action x in R^{2U}.

    The denoiser eps_theta(x^l, l, s) is an MLP (3 x 128, ReLU) on [x^l, emb(l), features(s)]
    (`Denoiser`). Sampling starts from x^L ~ N(0, I) and applies (20) for l = L..1:
    x^{l-1} = 1/sqrt(alpha_l) (x^l - beta_l / sqrt(1 - alpha_bar_l) eps_theta) + sqrt(beta_bar_l) z,
    with z = 0 at the last step (l = 1), as in DDPM sampling.
    (19) prints (1 - alpha_l) / sqrt(1 - alpha_l) for the noise coefficient; we use DDPM's
    beta_l / sqrt(1 - alpha_bar_l) [Ho et al. 2020, eq. 11], which (19) equals for l = 1.
    x^0 is mapped to [0, 1] by `squash`. Gradients flow through the whole chain, so the policy
    gradient (26) trains the denoiser; the sampling noise (x^L and z) is the exploration.
    With `deterministic=True`, x^L = 0 and z = 0 (the mean path).

    `clip_denoised` (default, as the DDPM sampler of the authors' reference code): the mean is
    (18) with x^0 replaced by its prediction from (16), x^0 = (x^l - sqrt(1 - ab_l) eps) /
    sqrt(ab_l), clipped to [-1, 1]; without clipping this equals (19). The last step (l = 1)
    returns its prediction unclipped (`squash` bounds it): a clip there had zero gradient and
    the actor could freeze with every output at the clip edge (seen in a test run). With the schedule under
    (14) and L = 5, beta_l reaches 0.83, and the unclipped chain amplifies x^l by up to
    1/sqrt(alpha_l) ~ 2.4 per step, so x^0 lands far outside [-1, 1] and `squash` saturates.
    """

    def __init__(
        self,
        encoder: SlotStateEncoder,
        act_dim: int,
        n_steps: int = 5,
        beta_min: float = 0.1,
        beta_max: float = 10.0,
        hidden: tuple[int, ...] = (128, 128, 128),
        t_dim: int = 16,
        output_map: str = "clamp",
        n_scores: int = 0,
        clip_denoised: bool = True,
    ):
        super().__init__()
        self.n_scores, self.clip_denoised = n_scores, clip_denoised
        self.encoder, self.act_dim, self.t_dim, self.output_map = (
            encoder,
            act_dim,
            t_dim,
            output_map,
        )
        self.denoiser = Denoiser(act_dim, encoder.out_dim, tuple(hidden), t_dim)
        # The body's Linear layers, listed once (walking the module tree per call cost ~5% of
        # a training slot); a plain list, so not registered twice; deepcopy keeps it aligned.
        self._body_layers = [m for m in self.denoiser.body.modules() if isinstance(m, nn.Linear)]
        self.set_steps(n_steps, beta_min, beta_max)

    def set_steps(self, n_steps: int, beta_min: float, beta_max: float) -> None:
        """The step count is a run-time choice (diffusers' set_timesteps); no weights depend on it."""
        self.n_steps = n_steps
        sched = diffusion_schedule(n_steps, beta_min, beta_max)
        # Per step l (index l - 1): x <- c_x (x - c_eps eps) + sigma z.
        self._coef = [
            (
                float(1.0 / torch.sqrt(sched["alpha"][i])),
                float(sched["beta"][i] / torch.sqrt(1.0 - sched["alpha_bar"][i])),
                float(torch.sqrt(sched["beta_bar"][i])),
            )
            for i in range(n_steps)
        ]
        # With clip_denoised, (18) with the x^0 predicted from (16) clipped to [-1, 1]:
        # x0 = x^l / sqrt(ab_l) - sqrt(1 / ab_l - 1) eps; mu = c0 x0 + cl x^l.
        ab = sched["alpha_bar"].double()
        ab_prev = torch.cat([torch.ones(1, dtype=torch.float64), ab[:-1]])
        beta, alpha = sched["beta"].double(), sched["alpha"].double()
        self._clip_coef = [
            (
                float(1.0 / torch.sqrt(ab[i])),
                float(torch.sqrt(1.0 / ab[i] - 1.0)),
                float(beta[i] * torch.sqrt(ab_prev[i]) / (1.0 - ab[i])),
                float((1.0 - ab_prev[i]) * torch.sqrt(alpha[i]) / (1.0 - ab[i])),
            )
            for i in range(n_steps)
        ]
        steps = torch.arange(1, n_steps + 1)
        self.register_buffer("step_emb", sinusoidal_embedding(steps, self.t_dim), persistent=False)

    def sample_noise(self, batch: int, generator: torch.Generator | None, device) -> torch.Tensor:
        """All of one sampling's noise, (L, B, act_dim): [0] is x^L, [l - 1] the z of step l."""
        return torch.randn((self.n_steps, batch, self.act_dim), generator=generator, device=device)

    def forward(
        self,
        raw_state: torch.Tensor,
        generator: torch.Generator | None = None,
        deterministic: bool = False,
        feats: torch.Tensor | None = None,
        noise: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """`feats`: `encoder(raw_state)` if the caller already has it (shared within an update).
        `noise`: this sampling's draw `sample_noise(B, generator, device)` if the caller made it
        (a compiled update takes no generator); otherwise it is drawn here from `generator`."""
        # Written with functional ops (no per-layer module calls, one noise draw, each weight
        # transposed once for all L steps): the cost of these small nets is per-op overhead,
        # both at batch 1 (the per-slot decision, Table 3) and in training (one update per slot).
        s = self.encoder(raw_state) if feats is None else feats
        d, n_steps = self.denoiser, self.n_steps
        b = s.shape[0]
        # first layer: W_x x + (W_t emb(l) + b) + W_s s, the last two per step and sample
        pre = F.linear(self.step_emb, d.in_t.weight, d.in_x.bias)[:, None, :] + F.linear(
            s, d.in_s.weight
        )  # (L, B, H)
        body = [(m.weight.t(), m.bias) for m in self._body_layers]
        if deterministic:
            x = torch.zeros((b, self.act_dim), device=s.device)
        else:
            if noise is None:
                noise = self.sample_noise(b, generator, s.device)
            x = noise[0]  # x^L; noise[l - 1] is the z of step l for l = 2..L
        w_x_t = d.in_x.weight.t()
        for i in reversed(range(n_steps)):  # i = l - 1
            h = F.relu(torch.addmm(pre[i], x, w_x_t))
            for w_t, bias in body[:-1]:
                h = F.relu(torch.addmm(bias, h, w_t))
            eps = torch.addmm(body[-1][1], h, body[-1][0])
            if self.clip_denoised:
                # c0 clip(r x - rm1 eps, -1, 1) + cl x, written as c0 r clip(x - (rm1 / r) eps,
                # -1 / r, 1 / r) + cl x (fewer ops on the training path)
                r, rm1, c0, cl = self._clip_coef[i]
                y = torch.sub(x, eps, alpha=rm1 / r)
                if i > 0:  # the last step returns x^0 unclipped: `squash` bounds it
                    y = y.clamp(-1.0 / r, 1.0 / r)
                x = torch.add(x * cl, y, alpha=c0 * r)
            else:
                c_x, c_eps, _ = self._coef[i]
                x = (x - eps * c_eps) * c_x
            if i > 0 and not deterministic:
                x = torch.add(x, noise[i], alpha=self._coef[i][2])
        return squash(x, self.output_map, self.n_scores)


@torch.no_grad()
def clipped_share(actor: DiffusionActor, raw_state: torch.Tensor, generator=None) -> float:
    """Share of the intermediate predicted x^0 entries (steps l = L..2, from (16)) that the
    clip of `clip_denoised` cuts to [-1, 1] on one sampling of `raw_state`: where it is near 1,
    those steps pass no gradient and the chain acts as one step (docs/rl.md, Fig. 6a)."""
    s = actor.encoder(raw_state)
    d = actor.denoiser
    pre = F.linear(actor.step_emb, d.in_t.weight, d.in_x.bias)[:, None, :] + F.linear(
        s, d.in_s.weight
    )
    noise = actor.sample_noise(s.shape[0], generator, s.device)
    x, cut, total = noise[0], 0, 0
    for i in reversed(range(actor.n_steps)):
        eps = d.body(F.linear(x, d.in_x.weight) + pre[i])
        r, rm1, c0, cl = actor._clip_coef[i]
        x0 = r * x - rm1 * eps
        if i > 0:
            cut += int((x0.abs() > 1.0).sum())
            total += x0.numel()
            x0 = x0.clamp(-1.0, 1.0)
        x = cl * x + c0 * x0
        if i > 0:
            x = x + actor._coef[i][2] * noise[i]
    return cut / total if total else 0.0


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
    n_scores = action.shape[1] - 2 * u
    scores, b, xi = action[:, :n_scores], action[:, n_scores : n_scores + u], action[:, -u:]
    hit = None
    if encoder.with_cache:
        phi = raw_state[:, u : 2 * u].round().long().clamp(0, m - 1)
        hit = torch.gather(raw_state[:, 2 * u : 2 * u + m], 1, phi)
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
        gamma, i = feats[:, :1], 1
    h = feats[:, i : i + u]
    onehot = feats[:, i + u : i + u + u * m].reshape(-1, u, m)
    i += u + u * m
    rho = None
    if encoder.with_cache:
        rho, i = feats[:, i : i + m], i + m
    d_in, d_op = feats[:, i : i + u], feats[:, i + u : i + 2 * u]
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
    There `cache_fn` maps scores to the cache (`rl.ddpg.scores_to_cache`, no gradient) for the
    hit flag, and the requested model's score is one more input, through which the scores get
    their gradient.
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
        n_scores = action.shape[1] - 2 * u
        scores, b, xi = action[:, :n_scores], action[:, n_scores:-u], action[:, -u:]
        extra = []
        if rho is not None:
            hit = (onehot * rho[:, None, :]).sum(-1)
        else:
            cache = torch.as_tensor(
                self.cache_fn(scores.detach().cpu().numpy().astype(np.float64)),
                dtype=s.dtype,
                device=s.device,
            )
            hit = (onehot * cache[:, None, :]).sum(-1)
            extra = [gamma.expand(-1, u)[..., None], (onehot * scores[:, None, :]).sum(-1, True)]
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
    value (2 x 128). The greedy action enumerates the caches that fit (11d) (`rl.ddqn.DDQN`),
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


# --------------------------------------------------------------------------- fast CPU inference


class NumpyDiffusionSampler:
    """A NumPy copy of a `DiffusionActor` (encoder, denoiser, reverse process, squash).

    Used on the CPU wherever no gradient is needed: at batch 1 (the per-slot decision) and at
    batch E (the target actor in (24b)) torch spends most of its time in per-op dispatch
    (~25 us per 128 x 128 matvec here, ~5 us in NumPy). Same arithmetic as the torch forward
    (float32); `tests/rl/test_agents.py` checks they agree.

    `live=False` (a greedy policy): a frozen snapshot of the weights taken now. `live=True`
    (training): NumPy views of the actor's own CPU parameters, so the sampler always sees the
    current weights (optimiser steps, soft updates and `load_state_dict` all write in place).
    """

    def __init__(self, actor: DiffusionActor, live: bool = False):
        enc, d = actor.encoder, actor.denoiser
        if live and any(p.device.type != "cpu" for p in actor.parameters()):
            raise ValueError("a live NumpyDiffusionSampler needs the actor on the CPU.")

        def f(t: torch.Tensor) -> np.ndarray:
            a = t.detach().cpu().numpy()
            return a if live else a.astype(np.float32, copy=True)

        self.u, self.m = enc.u, enc.m
        self.d_in_lo, self.d_in_span = float(enc.d_in_lo), float(enc.d_in_span)
        self.d_op_max = float(enc.d_op_max)
        self.act_dim, self.n_steps = actor.act_dim, actor.n_steps
        self.output_map, self.n_scores = actor.output_map, actor.n_scores
        self.clip_denoised = actor.clip_denoised
        self.coef, self.clip_coef = actor._coef, actor._clip_coef
        self.step_emb = f(actor.step_emb)
        # transposed views (no copies): x @ W.T is one BLAS call either way
        self.w_t_t, self.b_x = f(d.in_t.weight).T, f(d.in_x.bias)
        self.w_x_t, self.w_s_t = f(d.in_x.weight).T, f(d.in_s.weight).T
        self.body = [(f(m.weight).T, f(m.bias)) for m in actor._body_layers]

    def features(self, raw: np.ndarray) -> np.ndarray:
        u, m = self.u, self.m
        h = np.maximum(raw[:, :u], 1e-30)
        phi = np.clip(np.rint(raw[:, u : 2 * u]), 0, m - 1).astype(np.int64)
        onehot = np.zeros((raw.shape[0], u, m), dtype=np.float32)
        np.put_along_axis(onehot, phi[..., None], 1.0, axis=-1)
        i = 2 * u
        return np.concatenate(
            [
                np.clip((np.log10(h) + 9.0) / 2.0, -4.0, 4.0),
                onehot.reshape(raw.shape[0], -1),
                raw[:, i : i + m],
                (raw[:, i + m : i + m + u] - self.d_in_lo) / self.d_in_span,
                raw[:, i + m + u : i + m + 2 * u] / self.d_op_max,
            ],
            axis=-1,
            dtype=np.float32,
        )

    def __call__(
        self, raw_state: np.ndarray, noise: np.ndarray | None, feats: np.ndarray | None = None
    ) -> np.ndarray:
        """Raw state (B, 4U + M) -> action (B, act_dim) in [0, 1]; `noise` (L, B, act_dim)
        standard normal (noise[0] is x^L, noise[l - 1] the z of step l), or None (mean path).
        `feats`: the encoder's features of `raw_state` (float32) if the caller already has them."""
        s = self.features(np.asarray(raw_state, dtype=np.float64)) if feats is None else feats
        sp = s @ self.w_s_t
        step_pre = self.step_emb @ self.w_t_t + self.b_x  # (L, H): W_t emb(l) + b
        x = np.zeros((s.shape[0], self.act_dim), np.float32) if noise is None else noise[0]
        for i in reversed(range(self.n_steps)):
            h = np.maximum(x @ self.w_x_t + step_pre[i] + sp, 0.0)
            for w, b in self.body[:-1]:
                h = np.maximum(h @ w + b, 0.0)
            eps = h @ self.body[-1][0] + self.body[-1][1]
            if self.clip_denoised:
                r, rm1, c0, cl = self.clip_coef[i]
                y = r * x - rm1 * eps
                x = cl * x + c0 * (np.clip(y, -1.0, 1.0) if i > 0 else y)
            else:
                c_x, c_eps, _ = self.coef[i]
                x = (x - c_eps * eps) * c_x
            if i > 0 and noise is not None:
                x = x + self.coef[i][2] * noise[i]
        return squash(
            torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)),
            self.output_map,
            self.n_scores,
        ).numpy()
