"""The arrays one layout rule reads and writes: `{(collection, module path): {name: array}}`."""

import collections.abc
import dataclasses
from typing import Any

import numpy as np

from sonnax.convert import errors

Key = tuple[str, str]  # (collection, module path), e.g. ("params", "rnn/~/lstm")
Group = dict[Key, dict[str, np.ndarray]]
# A tree whose leaves have a `.shape`: arrays, or the `TensorInfo`s of a checkpoint not yet read.
Shapes = collections.abc.Mapping[str, collections.abc.Mapping[str, Any]]


def require(
    group: Group, key: Key, names: collections.abc.Collection[str], kind: str
) -> dict[str, np.ndarray]:
    """Returns `group[key]`, checking it holds exactly `names`.

    Raises:
      UnsupportedError: the module is missing or holds other names; the message names the
        module, the layout rule, and the names expected and found.
    """
    collection, module = key
    found = group.get(key)
    if found is None or set(found) != set(names):
        got = "nothing" if found is None else sorted(found)
        raise errors.UnsupportedError(
            f"layout {kind!r} of module {module!r}: expected {collection}[{module!r}] to hold "
            f"{sorted(names)}, found {got}. Check the module path, or give another layout for "
            f"it in `modules` (e.g. modules={{{module!r}: 'none'}} to leave it unchanged)."
        )
    return found


def shape_error(kind: str, module: str, what: str, expected: str, shape: tuple[int, ...]) -> None:
    """Raises the error for a variable whose shape does not fit a layout rule.

    Raises:
      UnsupportedError: always; names the module, the variable, both shapes and the fix.
    """
    raise errors.UnsupportedError(
        f"layout {kind!r} of module {module!r}: {what} has shape {tuple(shape)}, expected "
        f"{expected}. The module is not a {kind!r}: give its layout in `modules` (e.g. "
        f"modules={{{module!r}: 'none'}})."
    )


def last_component(module: str) -> str:
    """The module's own name: `rnn/~/lstm_1` -> `lstm_1`."""
    return module.rsplit("/", 1)[-1]


def join(parent: str, child: str) -> str:
    """A submodule's path, `parent/~/child`, as Haiku names submodules made in `__init__`."""
    return f"{parent}/~/{child}"


@dataclasses.dataclass(frozen=True)
class Rule:
    """How one kind of module is laid out in `sonnax.compat` (Sonnet) and in the core (Haiku).

    Attributes:
      kind: the name given in `modules`, e.g. `"lstm"`.
      find_compat: the module paths in a compat-layout `(params, state)` that look like this
        kind (by names and shapes, or by Sonnet's default module name where shapes cannot
        tell).
      find_haiku: the same for a Haiku-layout `(params, state)`; a path is the one the module
        had in the compat layout (an LSTM's, not its `linear`'s).
      compat_keys: the `(collection, module)` entries a module at a path holds in the compat
        layout (those absent are skipped).
      haiku_keys: the same in the Haiku layout.
      to_haiku: `(path, group, options)` -> the module's Haiku-layout group.
      to_compat: `(path, group, options)` -> the module's compat-layout group.
    """

    kind: str
    find_compat: collections.abc.Callable[[Shapes, Shapes], list[str]]
    find_haiku: collections.abc.Callable[[Shapes, Shapes], list[str]]
    compat_keys: collections.abc.Callable[[str], tuple[Key, ...]]
    haiku_keys: collections.abc.Callable[[str], tuple[Key, ...]]
    to_haiku: collections.abc.Callable[[str, Group, "Options"], Group]
    to_compat: collections.abc.Callable[[str, Group, "Options"], Group]


@dataclasses.dataclass(frozen=True)
class Options:
    """What a rule is told besides the arrays.

    Attributes:
      values: the arrays are variable values; `False` for optimizer moments (gradient
        statistics), which take a rule's reordering and reshaping but not its constant
        shifts (an LSTM's forget bias).
      channels_first: the module runs on channels-first inputs (`NC...`), which changes the
        shape of a convolution's bias in the Haiku layout.
      channel_multiplier: a depthwise convolution's outputs per input channel, which its core
        kernel `[h, w, 1, in * multiplier]` does not tell apart from `in` (Sonnet's and
        Haiku's default, 1, unless given).
    """

    values: bool = True
    channels_first: bool = False
    channel_multiplier: int = 1
