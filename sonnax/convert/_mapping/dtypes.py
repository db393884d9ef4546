"""The `dtype` option of a conversion: which dtype names are accepted and which tensors are cast."""

import ml_dtypes
import numpy as np
import numpy.typing as npt


def parse_dtype(dtype: npt.DTypeLike | str | None) -> np.dtype | None:
    """Returns the floating-point dtype a conversion casts to, or `None` for no cast.

    Args:
      dtype: `None`, a numpy dtype, or a name such as `"float16"` or `"bfloat16"`.

    Returns:
      The numpy dtype, or `None`.

    Raises:
      ValueError: `dtype` is not a floating-point dtype.
    """
    if dtype is None:
        return None
    name = dtype if isinstance(dtype, str) else None
    candidate = getattr(ml_dtypes, name, None) if name else None
    try:
        parsed = np.dtype(candidate if isinstance(candidate, type) else dtype)
    except TypeError as error:
        raise ValueError(f"dtype {dtype!r} is not a dtype; expected e.g. 'bfloat16'") from error
    if not is_floating(parsed):
        raise ValueError(
            f"dtype {dtype!r} is {parsed}; expected a floating-point dtype such as 'float32', "
            "'float16' or 'bfloat16' (only floating-point tensors are cast)"
        )
    return parsed


def is_floating(dtype: np.dtype) -> bool:
    """Whether `dtype` is a real floating-point dtype, numpy's or one of `ml_dtypes`'s."""
    if dtype.kind == "f":
        return True
    try:
        ml_dtypes.finfo(dtype)
    except ValueError:
        return False
    return dtype.kind != "c" and not dtype.name.startswith(("complex", "bcomplex"))


def cast(array: np.ndarray, dtype: np.dtype | None) -> np.ndarray:
    """Casts a floating-point `array` to `dtype`; other arrays are returned unchanged.

    Integer, bool and complex tensors (step counters, EMA counters, masks) keep their dtype: a
    cast would change their meaning, not just their precision.

    Args:
      array: the tensor.
      dtype: the target floating-point dtype, or `None` for no cast.

    Returns:
      `array` itself when no cast applies, else a new array of `dtype`.
    """
    if dtype is None or array.dtype == dtype or not is_floating(array.dtype):
        return array
    return array.astype(dtype)
