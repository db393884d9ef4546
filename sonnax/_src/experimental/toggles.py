"""`check_jax_usage`, `module_auto_repr`, `rng_reserve_size`: set one option, return the old one."""

from __future__ import annotations

from sonnax._src import config


def check_jax_usage(enabled: bool = True) -> bool:
    """Makes sonnax APIs with side effects raise inside a raw JAX transform.

    `hk.get_parameter`, `hk.next_rng_key` and friends are not pure, so a
    function using them must go through `hk.vmap`, `hk.cond`, ... rather than
    `jax.vmap`, `jax.lax.cond`, ... With checking on, the raw version raises
    `JaxUsageError`.

    >>> import sonnax as hk
    >>> previous = hk.experimental.check_jax_usage(True)
    >>> hk.experimental.check_jax_usage(previous)
    True

    Args:
      enabled: whether to check.

    Returns:
      The previous setting.
    """
    settings = config.get_config()
    previous, settings.check_jax_usage = settings.check_jax_usage, enabled
    return previous


def module_auto_repr(enabled: bool) -> bool:
    """Turns the constructor-argument `repr` of modules on or off.

    A class can also opt out alone with `AUTO_REPR = False`.

    >>> import sonnax as hk
    >>> previous = hk.experimental.module_auto_repr(False)
    >>> hk.experimental.module_auto_repr(previous)
    False

    Args:
      enabled: whether modules built from now on get the generated `repr`.

    Returns:
      The previous setting.
    """
    settings = config.get_config()
    previous, settings.module_auto_repr = settings.module_auto_repr, enabled
    return previous


def rng_reserve_size(size: int) -> int:
    """Sets how many keys `next_rng_key` splits at once when it runs out.

    A larger block means fewer `jax.random.split` calls (faster compilation),
    but different keys, hence different random numbers.

    >>> import sonnax as hk
    >>> previous = hk.experimental.rng_reserve_size(4)
    >>> hk.experimental.rng_reserve_size(previous)
    4

    Args:
      size: keys per split, at least 1 (Haiku's default is 1).

    Returns:
      The previous setting.

    Raises:
      ValueError: `size` is not positive.
    """
    if size <= 0:
        raise ValueError(
            f"RNG reserve size needs to be more than 0, got {size}: "
            "`hk.experimental.rng_reserve_size` takes the number of keys split at once (>= 1)."
        )
    settings = config.get_config()
    previous, settings.rng_reserve_size = settings.rng_reserve_size, size
    return previous
