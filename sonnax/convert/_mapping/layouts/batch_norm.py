"""Sonnet's `BatchNorm` and the core `BatchNorm`: parameter shapes and moving-average names.

Sonnet (and `sonnax.compat`) keeps `scale` and `offset` shaped `[C]` (`[C, 1, ...]` channels
first), and its moving statistics in two submodules `moving_mean` and `moving_variance`, each
with `counter` (int64 in TF), `hidden` and `average` shaped like the statistics, `[1, ..., C]`
(the input's rank). The core `BatchNorm` (Haiku's) shapes `scale` and `offset` like the
statistics, and names the averages `mean_ema` and `var_ema`, with an int32 `counter`. Without
`create_scale` / `create_offset`, `sonnax.compat` holds a constant `scale` (ones) / `offset`
(zeros) in state, which TF Sonnet and the core do not have: it is dropped, and not made again
on the way back (the compat module makes it when it is absent).

The core module does not Bessel-correct the variance it folds into `var_ema`, which Sonnet does
for rank-4 channels-last inputs (TF's fused kernel): outputs agree, but the moving variance
then drifts apart by a factor `n / (n - 1)` per update if training continues in the core.
"""

import numpy as np

from sonnax.convert import errors
from sonnax.convert._mapping.layouts import entries

KIND = "batch_norm"
_EMA = frozenset({"counter", "hidden", "average"})
_COMPAT_EMAS = ("moving_mean", "moving_variance")
_HAIKU_EMAS = ("mean_ema", "var_ema")
_CONSTANTS = {"scale": 1.0, "offset": 0.0}


def _find(state: entries.Shapes, names: tuple[str, str]) -> list[str]:
    """Parents of a pair of moving averages named `names`, each with counter/hidden/average."""
    suffix = f"/~/{names[0]}"
    found = []
    for module in state:
        parent = module.removesuffix(suffix)
        if parent == module or set(state[module]) != _EMA:
            continue
        if set(state.get(entries.join(parent, names[1]), ())) == _EMA:
            found.append(parent)
    return found


def find_compat(params: entries.Shapes, state: entries.Shapes) -> list[str]:
    """Modules with submodules `moving_mean` and `moving_variance` in state."""
    del params
    return _find(state, _COMPAT_EMAS)


def find_haiku(params: entries.Shapes, state: entries.Shapes) -> list[str]:
    """Modules with submodules `mean_ema` and `var_ema` in state."""
    del params
    return _find(state, _HAIKU_EMAS)


def compat_keys(module: str) -> tuple[entries.Key, ...]:
    """`scale`/`offset` (params or, when not created, state) and the two averages."""
    averages = tuple(("state", entries.join(module, name)) for name in _COMPAT_EMAS)
    return (("params", module), ("state", module), *averages)


def haiku_keys(module: str) -> tuple[entries.Key, ...]:
    """`scale`/`offset` and the two averages."""
    averages = tuple(("state", entries.join(module, name)) for name in _HAIKU_EMAS)
    return (("params", module), *averages)


def _averages(
    module: str, group: entries.Group, names: tuple[str, str], counter: np.dtype
) -> list[dict[str, np.ndarray]]:
    """The two averages' arrays, their counters cast to `counter`.

    Raises:
      UnsupportedError: an average is missing or holds other names, a counter does not fit
        `counter`, or `hidden`/`average` is shaped unlike the other average's.
    """
    found = []
    for name in names:
        arrays = dict(entries.require(group, ("state", entries.join(module, name)), _EMA, KIND))
        value = np.asarray(arrays["counter"])
        if value.shape != () or not np.can_cast(np.min_scalar_type(value.item()), counter):
            entries.shape_error(
                KIND,
                entries.join(module, name),
                "counter",
                f"a scalar that fits {counter}",
                value.shape,
            )
        arrays["counter"] = value.astype(counter)
        found.append(arrays)
    shapes = {arrays[name].shape for arrays in found for name in ("hidden", "average")}
    if len(shapes) != 1:
        entries.shape_error(
            KIND, module, "the moving averages", "one shape for all", sorted(shapes)[0]
        )
    return found


def _reshaped(
    module: str, arrays: dict[str, np.ndarray], shape: tuple[int, ...]
) -> dict[str, np.ndarray]:
    """`scale` and `offset` reshaped to `shape` (which holds as many elements).

    Raises:
      UnsupportedError: another name, or a size that does not fit.
    """
    result = {}
    for name, value in arrays.items():
        if name not in _CONSTANTS:
            entries.shape_error(
                KIND, module, f"params[{module!r}][{name!r}]", "only scale / offset", value.shape
            )
        if value.size != int(np.prod(shape)):
            entries.shape_error(
                KIND, module, name, f"{int(np.prod(shape))} elements (one per channel)", value.shape
            )
        result[name] = value.reshape(shape)
    return result


def _check_constants(module: str, arrays: dict[str, np.ndarray]) -> None:
    """Checks a compat `scale`/`offset` held in state is the constant it is made as.

    Raises:
      UnsupportedError: it holds another name or value, which the core cannot hold.
    """
    for name, value in arrays.items():
        if name not in _CONSTANTS or not np.all(value == _CONSTANTS[name]):
            raise errors.UnsupportedError(
                f"layout 'batch_norm' of module {module!r}: state[{module!r}][{name!r}] is not "
                "the constant sonnax.compat makes without create_scale / create_offset (ones / "
                "zeros), so the core BatchNorm cannot hold it. Pass it at call time instead, "
                f"or keep the module in the compat layout (modules={{{module!r}: 'none'}})."
            )


def to_haiku(module: str, group: entries.Group, options: entries.Options) -> entries.Group:
    """compat `BatchNorm` entries to the core's."""
    mean, variance = _averages(module, group, _COMPAT_EMAS, np.dtype(np.int32))
    if options.values:
        _check_constants(module, group.get(("state", module), {}))
    result = {
        ("state", entries.join(module, name)): arrays
        for name, arrays in zip(_HAIKU_EMAS, (mean, variance), strict=True)
    }
    if ("params", module) in group:
        result["params", module] = _reshaped(module, group["params", module], mean["average"].shape)
    return result


def _compat_shape(module: str, stats: tuple[int, ...], channels_first: bool) -> tuple[int, ...]:
    """`[C]` (channels last) or `[C, 1, ...]` (channels first) from the statistics' shape.

    Raises:
      UnsupportedError: the statistics are not per channel on the last (or second) axis.
    """
    axis = 1 if channels_first else len(stats) - 1
    if len(stats) < 2 or any(size != 1 for i, size in enumerate(stats) if i != axis):
        layout = "[1, C, 1, ...]" if channels_first else "[1, ..., 1, C]"
        entries.shape_error(KIND, module, "the moving averages", layout, stats)
    return (stats[axis], *([1] * (len(stats) - 2))) if channels_first else (stats[axis],)


def to_compat(module: str, group: entries.Group, options: entries.Options) -> entries.Group:
    """The core `BatchNorm`'s entries to compat's."""
    import jax  # noqa: PLC0415 - only for the counter dtype sonnax.compat uses.

    counter = np.dtype(jax.dtypes.canonicalize_dtype(np.int64))
    mean, variance = _averages(module, group, _HAIKU_EMAS, counter)
    stats = mean["average"].shape
    result = {
        ("state", entries.join(module, name)): arrays
        for name, arrays in zip(_COMPAT_EMAS, (mean, variance), strict=True)
    }
    if ("params", module) in group:
        shape = _compat_shape(module, stats, options.channels_first)
        result["params", module] = _reshaped(module, group["params", module], shape)
    return result


RULE = entries.Rule(KIND, find_compat, find_haiku, compat_keys, haiku_keys, to_haiku, to_compat)
