"""Library-wide settings: one thread-local `Config`, read and changed through its fields."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterator
from typing import Any


@dataclasses.dataclass
class Config:
    """Settings of sonnax, one copy per thread (defaults match Haiku 0.0.17).

    Attributes:
      check_jax_usage: Raise when a sonnax API is used inside a raw JAX transform.
      module_auto_repr: Give modules a `repr` built from their constructor arguments.
      restore_flatmap: Whether a copied or unpickled read-only params dict (from
        `data_structures.to_immutable_dict`) stays read-only; otherwise it becomes a dict.
      rng_reserve_size: How many keys `next_rng_key` splits at once when it runs out.
    """

    check_jax_usage: bool = False
    module_auto_repr: bool = True
    restore_flatmap: bool = False
    rng_reserve_size: int = 1


_FIELDS = frozenset(field.name for field in dataclasses.fields(Config))


_main_thread_config = Config()


class _ThreadConfig(threading.local):
    def __init__(self) -> None:
        # As in Haiku, a new thread starts from the main thread's settings.
        self.config = (
            _main_thread_config
            if threading.current_thread() is threading.main_thread()
            else dataclasses.replace(_main_thread_config)
        )


_local = _ThreadConfig()


def get_config() -> Config:
    """Returns this thread's live `Config`."""
    return _local.config


def _overrides(values: dict[str, Any]) -> dict[str, Any]:
    unknown = values.keys() - _FIELDS
    if unknown:
        raise TypeError(f"Unknown config option(s) {sorted(unknown)}; known: {sorted(_FIELDS)}.")
    return {name: value for name, value in values.items() if value is not None}


def set(**options: Any) -> None:  # Shadows the builtin on purpose: mirrors `hk.config.set`.
    """Changes settings for this thread; options left as `None` are unchanged.

    Args:
      **options: Any of the fields of `Config`.
    """
    config = get_config()
    for name, value in _overrides(options).items():
        setattr(config, name, value)


@contextlib.contextmanager
def context(**options: Any) -> Iterator[None]:
    """Changes settings for the duration of a `with` block, then restores those settings.

    Only the options given are restored on exit, so a `set` of another option
    inside the block persists.

    Args:
      **options: Any of the fields of `Config`; `None` leaves a field unchanged.
    """
    overrides = _overrides(options)
    config = get_config()
    saved = {name: getattr(config, name) for name in overrides}
    set(**overrides)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(config, name, value)
