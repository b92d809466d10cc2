"""The diffusion actor of D3PG (main paper 6.2.1): schedule, denoiser, reverse process, and a
NumPy copy of the reverse process for the CPU.

Three parts, as diffusers keeps them: `diffusion_schedule` (the betas under (14), (16), (17)),
`Denoiser` (eps_theta, the only weights) and the sampling loop (`DiffusionActor.forward`,
(17)-(20)); `NumpyDiffusionSampler` re-implements the same loop over NumPy views of the weights.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rl.agents.networks import SlotStateEncoder, addmm, linear, mlp, squash


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
        # first layer: W_x x + (W_t emb(l) + b) + W_s s, the last two per step and sample:
        # pre (L, B, H), or (K, L, B, H) for a pack (rl.agents.networks, "packs of agents")
        pre = linear(self.step_emb, d.in_t.weight, d.in_x.bias).unsqueeze(-2) + linear(
            s, d.in_s.weight, None
        ).unsqueeze(-3)
        body = [(m.weight.mT, m.bias) for m in self._body_layers]
        if deterministic:
            x = s.new_zeros((*s.shape[:-1], self.act_dim))
        else:
            if noise is None:
                noise = self.sample_noise(s.shape[-2], generator, s.device)
            x = noise[..., 0, :, :]  # x^L; noise[l - 1] is the z of step l for l = 2..L
        w_x_t = d.in_x.weight.mT
        pre = pre.unbind(-3)  # per step (a selection per step would zero all of pre in backward)
        for i in reversed(range(n_steps)):  # i = l - 1
            h = F.relu(addmm(pre[i], x, w_x_t))
            for w_t, bias in body[:-1]:
                h = F.relu(addmm(bias, h, w_t))
            eps = addmm(body[-1][1], h, body[-1][0])
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
                x = torch.add(x, noise[..., i, :, :], alpha=self._coef[i][2])
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


class NumpyDiffusionSampler:
    """A NumPy copy of a `DiffusionActor` (encoder, denoiser, reverse process, squash).

    Used on the CPU wherever no gradient is needed: at batch 1 (the per-slot decision) and at
    batch E (the target actor in (24b)) torch spends most of its time in per-op dispatch
    (docs/benchmarks.md). Same arithmetic as the torch forward
    (float32); `tests/rl/agents/test_diffusion.py` checks they agree.

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
