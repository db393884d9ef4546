"""The frame stack: the one place where sonnax keeps global mutable state.

A `Frame` holds everything one run of a transformed function reads and writes:
parameters, state, the rng sequence and the stack of modules being called. Each
thread has its own stack of frames, so transforms running in two threads never
see each other's values. See `README.md` beside this file.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

import jax.extend.core

from sonnax._src import config

if TYPE_CHECKING:
    from sonnax._src.core.module import Module
    from sonnax._src.core.rng import PRNGSequence

_frame_ids = itertools.count()


class ModuleState(NamedTuple):
    """A module being called, and the name of the method (scope) it is in."""

    module: Module
    method_name: str


class Frame:
    """Per-run values of a transformed function.

    Attributes:
      params: `{module_name: {name: array}}`, filled during init, frozen in apply.
      state: the current state, `{module_name: {name: value}}`.
      initial_state: the first value each state entry took in this run.
      rng_stack: rng sequences; the top one serves `next_rng_key` (`None`: no rng).
      params_frozen: True in apply, where parameters can no longer be created.
      module_stack: modules (and method scopes) being called, innermost last.
      counter_stack: per scope, the next free number for each module base name.
      used_names_stack: per scope, the module names already taken.
      frame_id: increasing id, used to spot modules created by an enclosing frame.
      trace_stack: JAX trace states at which sonnax APIs may be used (see
        `config.check_jax_usage`); the stateful transforms push onto it.
    """

    __slots__ = (
        "params",
        "state",
        "initial_state",
        "rng_stack",
        "params_frozen",
        "module_stack",
        "counter_stack",
        "used_names_stack",
        "frame_id",
        "trace_stack",
    )

    def __init__(
        self,
        params: dict[str, dict[str, Any]],
        state: dict[str, dict[str, Any]],
        initial_state: dict[str, dict[str, Any]],
        rng: PRNGSequence | None,
        params_frozen: bool,
        counter: collections.Counter[str],
        used_names: set[str],
    ):
        self.params = params
        self.state = state
        self.initial_state = initial_state
        self.rng_stack: list[PRNGSequence | None] = [rng]
        self.params_frozen = params_frozen
        self.module_stack: list[ModuleState] = []
        self.counter_stack: list[collections.Counter[str]] = [counter]
        self.used_names_stack: list[set[str]] = [used_names]
        self.frame_id = next(_frame_ids)
        self.trace_stack = [current_trace_state()]

    def push_module(self, module: Module, method_name: str) -> None:
        """Enters a module method: a fresh naming scope for the modules it creates."""
        self.module_stack.append(ModuleState(module, method_name))
        self.counter_stack.append(collections.Counter())
        self.used_names_stack.append(set())

    def pop_module(self) -> None:
        """Leaves the innermost module method."""
        self.module_stack.pop()
        self.counter_stack.pop()
        self.used_names_stack.pop()

    def current_module(self) -> Module | None:
        return self.module_stack[-1].module if self.module_stack else None


class _FrameStack(threading.local):
    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.contexts: list[Context] = []
        # Frame ids below which modules may not be used (see `closure_boundary`).
        self.closure_boundaries: list[int] = []


_stack = _FrameStack()


def push(frame: Frame) -> None:
    _stack.frames.append(frame)


def pop(expected: Frame) -> None:
    popped = _stack.frames.pop()
    assert popped is expected, "sonnax frames were exited out of order"


def current() -> Frame:
    """The innermost frame; call only after `assert_inside` or `inside_transform()`."""
    return _stack.frames[-1]


def all_frames() -> list[Frame]:
    """This thread's frames, outermost first."""
    return _stack.frames


def current_context() -> Context | None:
    """The innermost entered `Context` on this thread, or `None` outside transforms."""
    return _stack.contexts[-1] if _stack.contexts else None


@contextlib.contextmanager
def closure_boundary(frame_id: int) -> Iterator[None]:
    """Forbids using modules created in frames older than `frame_id` (see `transparent_lift`)."""
    _stack.closure_boundaries.append(frame_id)
    try:
        yield
    finally:
        _stack.closure_boundaries.pop()


def innermost_closure_boundary() -> int | None:
    """The frame id set by the innermost `closure_boundary`, if any."""
    boundaries = _stack.closure_boundaries
    return boundaries[-1] if boundaries else None


def inside_transform() -> bool:
    """Whether code is running inside `transform` (init or apply) on this thread."""
    return bool(_stack.frames)


class JaxUsageError(ValueError):
    """A sonnax API with side effects was used inside a raw JAX transform."""


_JAX_USAGE = (
    "tl;dr - You need to use a sonnax overloaded transform (e.g. `hk.vmap`) or control flow "
    "operator (e.g. `hk.cond`) instead of the `jax.*` equivalent for untransformed functions "
    "using sonnax APIs.\n\nSome APIs in JAX (e.g. `jit`, `vmap`, `cond`, `switch`) take "
    "functions that are expected to be pure. `hk.{name}` has a side effect, and using it inside "
    "a function (without also using `hk.transform`) makes that function 'impure'. The sonnax "
    "versions of these JAX APIs turn your function into a pure one before calling JAX."
)


def current_trace_state() -> Any:
    """An opaque, comparable token for JAX's current trace (which jit/vmap/... we are in)."""
    return jax.extend.core.get_opaque_trace_state(convention="haiku")


def assert_inside(public_name: str, *, pure_jax_only: bool = False) -> Frame:
    """Returns the current frame, or raises naming the public API used outside a transform.

    Args:
      public_name: the public function name, e.g. `get_parameter`.
      pure_jax_only: the API has side effects, so with `config.check_jax_usage` it
        must not run inside a raw JAX transform opened within the transformed function.

    Returns:
      The innermost frame.

    Raises:
      ValueError: outside `transform`.
      JaxUsageError: inside a raw JAX transform, when checking is enabled.
    """
    frames = _stack.frames
    if not frames:
        raise ValueError(
            f"`hk.{public_name}` must be used as part of an `hk.transform`: call it from "
            "inside the function you pass to `sonnax.transform`/`transform_with_state`, "
            "then call the returned `init`/`apply`."
        )
    frame = frames[-1]
    if pure_jax_only and config.get_config().check_jax_usage:
        if current_trace_state() != frame.trace_stack[-1]:
            raise JaxUsageError(_JAX_USAGE.format(name=public_name))
    return frame


class Context:
    """Holds the params and state of one run; entering it pushes a new frame.

    A context can be entered more than once (e.g. to call a module again):
    module names stay unique across the entries.
    """

    def __init__(
        self,
        params: dict[str, dict[str, Any]],
        state: dict[str, dict[str, Any]],
        rng_sequence: PRNGSequence | None,
        params_frozen: bool,
    ):
        self.params = params
        self.state = state
        self.initial_state = copy_tree(state)
        self.rng_sequence = rng_sequence
        self.params_frozen = params_frozen
        self._counter: collections.Counter[str] = collections.Counter()
        self._names: set[str] = set()
        self._entered: list[Frame] = []
        self._teardown_callbacks: list[Callable[[], None]] = []

    def add_teardown_callback(self, callback: Callable[[], None]) -> None:
        """Runs `callback` each time the context is exited without an exception."""
        self._teardown_callbacks.append(callback)

    def __enter__(self) -> Context:
        frame = Frame(
            self.params,
            self.state,
            self.initial_state,
            self.rng_sequence,
            self.params_frozen,
            self._counter,
            self._names,
        )
        push(frame)
        self._entered.append(frame)
        _stack.contexts.append(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        pop(self._entered.pop())
        popped = _stack.contexts.pop()
        assert popped is self, "sonnax contexts were exited out of order"
        if exc_type is None:
            for callback in self._teardown_callbacks:
                callback()


def copy_tree(tree: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """A two-level copy of a params/state tree, leaving out empty modules."""
    return {bundle: dict(values) for bundle, values in tree.items() if values}
