"""The random processes of the edge network, vectorised over a batch of independent copies.

Every function takes the caller's `numpy.random.Generator` (one RNG handed down, never a global).

* Popularity (eq. (1), (37)): Zipf over model ranks with skewness gamma(t); gamma follows a
  Markov chain over `popularity_states`, one transition per time frame.
* Mobility (section 7.1 (1), eq. (36)): each slot the users' positions are drawn i.i.d. from one
  of three distributions, the distribution following a per-slot Markov chain:
    - lambda_1 uniform: uniform over the 250 m x 250 m square;
    - lambda_2 concentrated: isotropic Gaussian at the BS with per-axis std
      `location_concentrated_std_m` (side/8), clipped to the square;
    - lambda_3 boundary: uniform over the band of width `location_boundary_band_m` (side/10)
      along the inside of the square's edge.
  The chain runs on across frame boundaries.
* Channel: Rayleigh fading |delta|^2 ~ Exp(1), i.i.d. per user and slot.
* Requests: phi ~ Zipf(gamma(t)) i.i.d. per user and slot; d_in ~ U[min, max] MB.
* Initial states of both chains are drawn from their stationary distributions (the paper does
  not say; this makes the processes stationary from the first frame).
"""

from __future__ import annotations

import numpy as np

from testbed.config import BITS_PER_MB, EdgeConfig

UNIFORM, CONCENTRATED, BOUNDARY = 0, 1, 2
LOCATION_NAMES = ("uniform", "concentrated", "boundary")


def stationary_distribution(transition: np.ndarray) -> np.ndarray:
    """pi with pi P = pi (left eigenvector for eigenvalue 1, normalised)."""
    vals, vecs = np.linalg.eig(np.asarray(transition, dtype=np.float64).T)
    pi = np.real(vecs[:, np.argmin(np.abs(vals - 1.0))])
    pi = np.abs(pi)
    return pi / pi.sum()


def markov_step(state: np.ndarray, cdf: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One transition for a batch of chains; `cdf` holds the row-wise cumulative P."""
    u = rng.random(state.shape)
    return (u[..., None] >= cdf[state]).sum(axis=-1).clip(max=cdf.shape[-1] - 1)


def sample_categorical(probs: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    cdf = np.cumsum(probs)
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(probs) - 1)


def zipf_probabilities(gamma: float | np.ndarray, n_models: int) -> np.ndarray:
    """Eq. (1): P(phi = m) = m^-gamma / sum_i i^-gamma, ranks m = 1..M (model id m - 1)."""
    ranks = np.arange(1, n_models + 1, dtype=np.float64)
    w = ranks ** -np.asarray(gamma, dtype=np.float64)[..., None]
    return w / w.sum(axis=-1, keepdims=True)


class Processes:
    """Pre-computed tables for sampling; `cfg`-specific, stateless otherwise."""

    def __init__(self, cfg: EdgeConfig):
        self.cfg = cfg
        self.gammas = np.asarray(cfg.popularity_states, dtype=np.float64)
        self.pop_P = np.asarray(cfg.popularity_transition, dtype=np.float64)
        self.loc_P = np.asarray(cfg.location_transition, dtype=np.float64)
        self.pop_cdf = np.cumsum(self.pop_P, axis=-1)
        self.loc_cdf = np.cumsum(self.loc_P, axis=-1)
        self.pop_stationary = stationary_distribution(self.pop_P)
        self.loc_stationary = stationary_distribution(self.loc_P)
        self.zipf = zipf_probabilities(self.gammas, cfg.n_models)  # (J, M)
        self.zipf_cdf = np.cumsum(self.zipf, axis=-1)

    # -- chains
    def initial_popularity(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return sample_categorical(self.pop_stationary, n, rng)

    def initial_location(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return sample_categorical(self.loc_stationary, n, rng)

    def next_popularity(self, state: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return markov_step(state, self.pop_cdf, rng)

    def next_location(self, state: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return markov_step(state, self.loc_cdf, rng)

    # -- per-slot draws
    def positions_m(self, loc_state: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """User coordinates relative to the BS, shape (n, U, 2), metres."""
        cfg = self.cfg
        n, u, half = loc_state.shape[0], cfg.n_users, cfg.area_side_m / 2
        samplers = (
            lambda: rng.uniform(-half, half, (n, u, 2)),
            lambda: np.clip(
                rng.normal(0.0, cfg.location_concentrated_std_m, (n, u, 2)), -half, half
            ),
            lambda: self._boundary_band(n, u, rng),
        )
        # Draw only the distributions some copy is in (the same draws for a batch of one).
        out = np.empty((n, u, 2))
        for state in (UNIFORM, CONCENTRATED, BOUNDARY):
            here = loc_state == state
            if here.any():
                out[here] = samplers[state]()[here]
        return out

    def _boundary_band(self, n: int, u: int, rng: np.random.Generator) -> np.ndarray:
        """Uniform over the band [half - w, half] along the edge: four strips, no double corners."""
        half, w = self.cfg.area_side_m / 2, self.cfg.location_boundary_band_m
        side = 2 * half
        # Top and bottom strips span the full side; left and right strips exclude the corners.
        areas = np.array([side * w, side * w, (side - 2 * w) * w, (side - 2 * w) * w])
        strip = sample_categorical(areas / areas.sum(), n * u, rng).reshape(n, u)
        along_full = rng.uniform(-half, half, (n, u))
        along_inner = rng.uniform(-half + w, half - w, (n, u))
        depth = half - rng.uniform(0.0, w, (n, u))
        x = np.select([strip == 0, strip == 1, strip == 2], [along_full, along_full, -depth], depth)
        y = np.select([strip == 0, strip == 1], [depth, -depth], along_inner)
        return np.stack([x, y], axis=-1)

    def fading(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """|delta|^2 ~ Exp(1) for delta ~ CN(0, 1)."""
        return rng.exponential(1.0, (n, self.cfg.n_users))

    def requests(self, pop_state: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """phi ~ Zipf(gamma), shape (n, U), 0-based model ids."""
        cdf = self.zipf_cdf[pop_state]  # (n, M)
        u = rng.random((pop_state.shape[0], self.cfg.n_users))
        return (u[..., None] >= cdf[:, None, :]).sum(axis=-1).clip(max=self.cfg.n_models - 1)

    def input_bits(self, n: int, rng: np.random.Generator) -> np.ndarray:
        cfg = self.cfg
        return (
            rng.uniform(cfg.input_size_min_MB, cfg.input_size_max_MB, (n, cfg.n_users))
            * BITS_PER_MB
        )
