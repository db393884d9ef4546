"""The parity report: one row per compared array, each checked as `np.allclose` checks.

An element passes when `|actual - expected| <= atol + rtol * |expected|`, `expected` being
TensorFlow's value. A row records the largest absolute error, the largest relative error (over
elements where TF's value is non-zero) and the worst element: the one furthest out of
tolerance, its index and both values. NaNs fail unless both sides have them at the same place.
"""

import dataclasses

import numpy as np
import numpy.typing as npt

_WIDTH = 72  # Widest name shown whole in the table.


@dataclasses.dataclass(frozen=True)
class Row:
    """How one array of the port compares with TensorFlow's.

    Attributes:
        name: What was compared, by tree path: `outputs[0]`, `grads/inputs[0]`,
            `grads/params/mlp/~/linear_0/w`.
        shape: TF's shape.
        max_abs: The largest absolute error (inf where shapes differ or a NaN appears alone).
        max_rel: The largest relative error, over elements where TF's value is non-zero.
        worst_index: The index of the element furthest out of tolerance.
        expected: TF's value there.
        actual: The port's value there.
        ok: Whether every element is within tolerance.
        problem: Why the arrays could not be compared element by element, if they could not
            (a shape, or a missing array); None otherwise.
    """

    name: str
    shape: tuple[int, ...]
    max_abs: float
    max_rel: float
    worst_index: tuple[int, ...]
    expected: float
    actual: float
    ok: bool
    problem: str | None = None


def compare_arrays(
    name: str, expected: npt.ArrayLike, actual: npt.ArrayLike, rtol: float, atol: float
) -> Row:
    """Compares the port's array with TF's.

    Args:
        name: The row's name.
        expected: TF's array.
        actual: The port's array.
        rtol: Relative tolerance.
        atol: Absolute tolerance.

    Returns:
        The row.

    >>> compare_arrays("outputs[0]", [1.0, 2.0], [1.0, 2.5], 1e-5, 1e-6).worst_index
    (1,)
    """
    want = np.asarray(expected, np.float64)
    got = np.asarray(actual, np.float64)
    if want.shape != got.shape:
        problem = f"shape {got.shape}, TF's is {want.shape}"
        return Row(name, want.shape, np.inf, np.inf, (), np.nan, np.nan, False, problem)
    if want.size == 0:
        return Row(name, want.shape, 0.0, 0.0, (), np.nan, np.nan, True)
    # Equal values (infinities included) and NaNs at the same place count as no error.
    same = (got == want) | (np.isnan(want) & np.isnan(got))
    with np.errstate(invalid="ignore"):
        error = np.where(same, 0.0, np.abs(got - want))
    error = np.where(np.isnan(error), np.inf, error)
    scale = np.where(np.isfinite(want), np.abs(want), 0.0)
    relative = np.divide(error, scale, out=np.zeros_like(error), where=scale > 0)
    tolerance = atol + rtol * scale
    excess = np.divide(error, tolerance, out=np.where(error > 0, np.inf, 0.0), where=tolerance > 0)
    worst = np.unravel_index(int(np.argmax(excess)), want.shape)
    return Row(
        name=name,
        shape=want.shape,
        max_abs=float(error.max()),
        max_rel=float(relative.max()),
        worst_index=tuple(int(i) for i in worst),
        expected=float(want[worst]),
        actual=float(got[worst]),
        ok=bool(np.all(error <= tolerance)),
    )


def missing(name: str, problem: str) -> Row:
    """A row for an array only one side produced.

    Args:
        name: The row's name.
        problem: What is missing, e.g. `TF gave 2 outputs, the port 3`.

    Returns:
        A failing row.
    """
    return Row(name, (), np.inf, np.inf, (), np.nan, np.nan, False, problem)


@dataclasses.dataclass(frozen=True)
class Report:
    """The outcome of a parity check: a row per output (and per gradient, when asked for).

    `str(report)` is a table, failing rows marked; `report.ok` says whether all rows pass.

    Attributes:
        rows: The rows, outputs first.
        rtol: The relative tolerance used.
        atol: The absolute tolerance used.
    """

    rows: tuple[Row, ...]
    rtol: float
    atol: float

    @property
    def ok(self) -> bool:
        """Whether every row is within tolerance."""
        return all(row.ok for row in self.rows)

    @property
    def failures(self) -> tuple[Row, ...]:
        """The rows out of tolerance."""
        return tuple(row for row in self.rows if not row.ok)

    def max_abs(self) -> float:
        """The largest absolute error of any row (0.0 for an empty report)."""
        return max((row.max_abs for row in self.rows), default=0.0)

    def format(self, rows: tuple[Row, ...] | None = None) -> str:
        """The table of `rows` (all by default), with a summary line.

        Args:
            rows: The rows to show.

        Returns:
            The table as text.
        """
        shown = self.rows if rows is None else rows
        width = min(max((len(row.name) for row in shown), default=4), _WIDTH)
        header = f"     {'name':<{width}}  {'shape':<14} {'max abs':>10} {'max rel':>10}  worst"
        lines = [header]
        for row in shown:
            mark = "ok  " if row.ok else "FAIL"
            detail = row.problem or (
                f"{list(row.worst_index)}: port {row.actual:.7g}, TF {row.expected:.7g}"
            )
            lines.append(
                f"{mark} {row.name:<{width}}  {str(row.shape):<14} {row.max_abs:>10.3g} "
                f"{row.max_rel:>10.3g}  {detail}"
            )
        verdict = "passed" if self.ok else f"{len(self.failures)} of {len(self.rows)} FAILED"
        lines.append(
            f"parity {verdict} (rtol={self.rtol:g}, atol={self.atol:g}; an element passes if "
            "|port - TF| <= atol + rtol * |TF|)"
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()
