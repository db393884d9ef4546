"""Two-sample statistics for comparing initializer samples: Kolmogorov-Smirnov, mean and std.

Written with numpy only, so the parity suite does not depend on scipy (when scipy is
installed, `test_initializers.py` checks the KS test against `scipy.stats.ks_2samp`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

# Deterministic seeds make each p-value a fixed number; this level keeps the chance that
# some true match among the suite's few dozen comparisons fails at all to well under 1%.
ALPHA = 1e-4
# Standard errors allowed between the two samples' means and stds (two-sided p ~ 6e-7).
Z = 5.0


def ks_2samp(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """The two-sample Kolmogorov-Smirnov statistic and its asymptotic two-sided p-value.

    `D = sup_x |F_a(x) - F_b(x)|` over the empirical CDFs (evaluated at every sample
    point, so ties and discrete samples are handled). The p-value is Kolmogorov's limit
    `Q(sqrt(n_e) D)` with `n_e = n m / (n + m)` and `Q(t) = 2 sum_k (-1)^(k-1) exp(-2 k^2 t^2)`,
    which is conservative for discrete samples.

    Args:
      a: the first sample (any shape; flattened).
      b: the second sample.

    Returns:
      `(D, p)`.
    """
    a = np.sort(np.asarray(a, np.float64).ravel())
    b = np.sort(np.asarray(b, np.float64).ravel())
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / a.size
    cdf_b = np.searchsorted(b, points, side="right") / b.size
    d = float(np.max(np.abs(cdf_a - cdf_b)))
    return d, kolmogorov_sf(np.sqrt(a.size * b.size / (a.size + b.size)) * d)


def kolmogorov_sf(t: float) -> float:
    """`P(K > t)` for Kolmogorov's distribution (the limit of `sqrt(n) D_n`)."""
    if t <= 0.0:
        return 1.0
    k = np.arange(1, 101)
    terms = (-1.0) ** (k - 1) * np.exp(-2.0 * k**2 * t**2)
    return float(np.clip(2.0 * terms.sum(), 0.0, 1.0))


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Two samples compared: KS test, and means and stds within `Z` standard errors."""

    ks_statistic: float
    ks_pvalue: float
    mean_difference: float
    mean_tolerance: float
    std_difference: float
    std_tolerance: float

    @property
    def same_distribution(self) -> bool:
        return (
            self.ks_pvalue >= ALPHA
            and abs(self.mean_difference) <= self.mean_tolerance
            and abs(self.std_difference) <= self.std_tolerance
        )

    def __str__(self) -> str:
        return (
            f"KS D={self.ks_statistic:.5f} p={self.ks_pvalue:.3g} (needs >= {ALPHA}); "
            f"mean difference {self.mean_difference:.3g} (tolerance {self.mean_tolerance:.3g}); "
            f"std difference {self.std_difference:.3g} (tolerance {self.std_tolerance:.3g})"
        )


def _std_standard_error(x: np.ndarray) -> float:
    """Delta-method standard error of the sample std: `sqrt((m4 - s^4) / (4 n s^2))`."""
    centered = x - x.mean()
    var = np.mean(centered**2)
    m4 = np.mean(centered**4)
    return float(np.sqrt(max(m4 - var**2, 0.0) / (4.0 * x.size * var)))


def compare(a: np.ndarray, b: np.ndarray) -> Comparison:
    """Compares two samples of (supposedly) one distribution.

    The tolerances follow from the sample sizes: `Z` standard errors of the difference of
    the two means (`sqrt(s_a^2 / n_a + s_b^2 / n_b)`) and of the two stds.

    Args:
      a: the first sample (e.g. TF Sonnet's values).
      b: the second sample (e.g. compat's).

    Returns:
      The `Comparison`.
    """
    a = np.asarray(a, np.float64).ravel()
    b = np.asarray(b, np.float64).ravel()
    d, p = ks_2samp(a, b)
    mean_se = np.sqrt(a.var() / a.size + b.var() / b.size)
    std_se = np.hypot(_std_standard_error(a), _std_standard_error(b))
    return Comparison(
        ks_statistic=d,
        ks_pvalue=p,
        mean_difference=float(b.mean() - a.mean()),
        mean_tolerance=float(Z * mean_se),
        std_difference=float(b.std() - a.std()),
        std_tolerance=float(Z * std_se),
    )
