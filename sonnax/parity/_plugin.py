"""The `parity` pytest fixture: `compare` and `assert_parity` at the test's own tolerances.

A test sets them with `@pytest.mark.parity(rtol=..., atol=...)`; arguments given to a call win
over the marker, and the marker over `compare`'s defaults.
"""

import dataclasses
from typing import Any

import pytest

from sonnax.parity import _recorded, _report, _run

_MARKER = "parity"
_MARKER_HELP = "parity(rtol=1e-5, atol=1e-6): tolerances for the sonnax.parity `parity` fixture"


@dataclasses.dataclass(frozen=True)
class Parity:
    """What the `parity` fixture gives: the checks of `sonnax.parity` at set tolerances.

    Attributes:
        tolerances: `rtol` and/or `atol`, from the test's `parity` marker.
    """

    tolerances: dict[str, float]

    def _with_tolerances(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**self.tolerances, **kwargs}

    def compare(self, *args: Any, **kwargs: Any) -> _report.Report:
        """`sonnax.parity.compare` at the test's tolerances."""
        return _run.compare(*args, **self._with_tolerances(kwargs))

    def assert_parity(self, *args: Any, **kwargs: Any) -> _report.Report:
        """`sonnax.parity.assert_parity` at the test's tolerances."""
        return _run.assert_parity(*args, **self._with_tolerances(kwargs))

    def compare_recorded(self, *args: Any, **kwargs: Any) -> _report.Report:
        """`sonnax.parity.compare_recorded` at the test's tolerances."""
        return _recorded.compare_recorded(*args, **self._with_tolerances(kwargs))


def pytest_configure(config: pytest.Config) -> None:
    """Registers the `parity` marker, so `--strict-markers` accepts it."""
    config.addinivalue_line("markers", _MARKER_HELP)


@pytest.fixture
def parity(request: pytest.FixtureRequest) -> Parity:
    """Parity checks of a sonnax port against TF Sonnet, at the test's `parity` marker's tolerances.

    Raises:
        TypeError: The marker has arguments other than `rtol=` and `atol=`.
    """
    marker = request.node.get_closest_marker(_MARKER)
    tolerances = dict(marker.kwargs) if marker else {}
    unknown = sorted(set(tolerances) - {"rtol", "atol"})
    if unknown or (marker and marker.args):
        raise TypeError(
            f"@pytest.mark.parity takes only the keywords rtol= and atol=; got args "
            f"{marker.args if marker else ()} and keywords {unknown}"
        )
    return Parity(tolerances)
