"""`JaxCase`: the measurements of one model in one JAX library (a `Program`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from benchmarks import programs, specs


def _single_example(model: specs.ModelSpec) -> jax.Array:
    """One example (the LSTM: one sequence), for the un-jitted dispatch figure."""
    return jnp.asarray(specs.batch(model, 1)[0])


class JaxCase:
    """Measures `init`, trace and compile, the jitted step and forward, and dispatch.

    Args:
      library: the library's key (`jax`, `sonnax`, ...).
      model: the model.
      build: makes a fresh `Program`; `init` and the trace-plus-compile figures call it
        each time, so that no cache of an earlier measurement helps the next.
    """

    def __init__(self, library: str, model: specs.ModelSpec, build: Callable[[], programs.Program]):
        self.library = library
        self.model = model
        self._build = build
        inputs, targets = specs.batch(model)
        self._inputs, self._targets = jnp.asarray(inputs), jnp.asarray(targets)
        self._single = _single_example(model)
        self._key = jax.random.PRNGKey(0)
        self._program = build()
        self._train: Any = None
        self._frozen: Any = None
        self._step: Any = None
        self._forward: Any = None
        self._apply: Any = None

    def prime(self) -> None:
        """Lowers `init` and the training step once, unmeasured.

        JAX caches work per shape (each `jax.numpy` function is itself jitted), so the first
        library to trace a model's shapes would pay for the others: priming every library
        first measures them all in the same, warm, state.
        """
        program = self._build()
        jax.jit(program.init).lower(self._key, self._inputs)
        params, state = jax.eval_shape(program.init, self._key, self._inputs)
        opt_state = jax.eval_shape(program.optimizer.init, params)
        step = jax.jit(programs.train_step(self.model, program), donate_argnums=(0, 1, 2))
        step.lower(params, state, opt_state, self._inputs, self._targets)

    def measure_init(self) -> tuple[float, float]:
        """`(total, trace)` seconds of the first call of a fresh `jax.jit(init)`.

        The total is trace, compile and run, as the first `jax.jit(init)(key, x)` costs;
        trace is its tracing and lowering alone, the part the library's Python makes.
        """
        program = self._build()
        start = time.perf_counter()
        lowered = jax.jit(program.init).lower(self._key, self._inputs)
        traced = time.perf_counter()
        params, state = jax.block_until_ready(lowered.compile()(self._key, self._inputs))
        seconds = time.perf_counter() - start
        self._program = program
        opt_state = jax.jit(program.optimizer.init)(params)
        self._train = (params, state, opt_state)
        # Forward and dispatch read their own copy: the step donates (deletes) its inputs.
        self._frozen = jax.tree.map(jnp.copy, (params, state))
        return seconds, traced - start

    def measure_trace_compile(self) -> tuple[float, float]:
        """`(trace, compile)` seconds of a fresh jitted, donating training step.

        Trace covers tracing and lowering to StableHLO (the library's and JAX's Python);
        compile is XLA's. The compiled step is kept for the timing rounds.
        """
        step = programs.train_step(self.model, self._build())
        jitted = jax.jit(step, donate_argnums=(0, 1, 2))
        start = time.perf_counter()
        lowered = jitted.lower(*self._train, self._inputs, self._targets)
        traced = time.perf_counter()
        self._step = lowered.compile()
        return traced - start, time.perf_counter() - traced

    def hlo_text(self, figure: str) -> str:
        """The optimized HLO of the compiled training step (`step`) or `forward`."""
        return (self._step if figure == "step" else self._forward).as_text()

    def warm_up(self) -> dict[str, float]:
        """Runs each timed call twice (compiling the forward); returns seconds per call."""
        self._forward = jax.jit(self._program.forward).lower(*self._frozen, self._inputs).compile()
        self._apply = self._program.bind(*self._frozen)
        seconds = {}
        for figure in ("step", "forward", "dispatch"):
            self.time(figure, 1)
            seconds[figure] = self.time(figure, 1)
        return seconds

    def time(self, figure: str, calls: int) -> float:
        """Seconds per call over `calls` back-to-back calls of `step`, `forward` or `dispatch`."""
        if figure == "step":
            train = self._train
            start = time.perf_counter()
            for _ in range(calls):
                *train, loss = self._step(*train, self._inputs, self._targets)
            jax.block_until_ready((train, loss))
            seconds = time.perf_counter() - start
            self._train = tuple(train)
            return seconds / calls
        if figure == "forward":
            start = time.perf_counter()
            for _ in range(calls):
                self._forward(*self._frozen, self._inputs).block_until_ready()
            return (time.perf_counter() - start) / calls
        # Dispatch: the un-jitted call alone; its results are waited for outside the clock.
        total = 0.0
        for _ in range(calls):
            start = time.perf_counter()
            outputs = self._apply(self._single)
            total += time.perf_counter() - start
            jax.block_until_ready(outputs)
        return total / calls
