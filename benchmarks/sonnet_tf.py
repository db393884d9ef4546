"""`TFCase`: the measurements of one model in TF Sonnet 2, under `tf.function`.

The only benchmark file that imports TensorFlow; the runner imports it only when a TF
library is asked for. The training step updates the variables in place (Sonnet's Momentum
optimizer), as TF programs do; `jit_compile=True` compiles it with XLA.
"""

from __future__ import annotations

import time
from typing import Any

import sonnet as snt
import tensorflow as tf

from benchmarks import programs, sonnet_style, specs


class TFCase:
    """Measures a Sonnet model as `JaxCase` measures a JAX one (same figures, same calls).

    `init` is the module's construction and first eager call, which creates its variables;
    trace is `get_concrete_function` of a fresh `tf.function` step, and compile its first
    call, which includes one step's execution (TF compiles and runs in one call).

    Args:
      library: `tf` or `tf-xla`.
      model: the model.
      jit_compile: `tf.function(jit_compile=...)`.
    """

    def __init__(self, library: str, model: specs.ModelSpec, jit_compile: bool):
        self.library = library
        self.model = model
        self._jit_compile = jit_compile
        self._construct, self._call = sonnet_style.make(snt, sonnet_style.tf_ops(), model)
        inputs, targets = specs.batch(model)
        self._inputs, self._targets = tf.constant(inputs), tf.constant(targets)
        self._single = tf.constant(specs.batch(model, 1)[0])
        self._module: Any = None
        self._step: Any = None
        self._forward: Any = None
        self._optimizer: Any = None

    def _loss(self, outputs: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        if self.model.classifies:
            losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=outputs)
            return tf.reduce_mean(losses)
        return tf.reduce_mean(tf.square(outputs - targets))

    def _train_step(self, inputs: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = self._loss(self._call(self._module, inputs, True), targets)
        variables = self._module.trainable_variables
        self._optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    def prime(self) -> None:
        """Nothing: TF's caches are its own, and no JAX library warms them."""

    def measure_init(self) -> tuple[float, None]:
        """`(seconds, None)`: construction and a first eager call, which creates the
        variables; nothing is traced."""
        start = time.perf_counter()
        module = self._construct()
        _ = self._call(module, self._inputs, True).numpy()
        seconds = time.perf_counter() - start
        self._module = module
        self._optimizer = snt.optimizers.Momentum(programs.LEARNING_RATE, programs.MOMENTUM)
        # The optimizer's slots are made now (a zero update), so no timed trace makes them.
        variables = module.trainable_variables
        self._optimizer.apply([tf.zeros_like(v) for v in variables], variables)
        return seconds, None

    def measure_trace_compile(self) -> tuple[float, float]:
        """`(trace, compile)` seconds of a fresh `tf.function` training step."""
        step = tf.function(self._train_step, jit_compile=self._jit_compile)
        start = time.perf_counter()
        step.get_concrete_function(self._inputs, self._targets)
        traced = time.perf_counter()
        _ = step(self._inputs, self._targets).numpy()
        self._step = step
        return traced - start, time.perf_counter() - traced

    def hlo_text(self, figure: str) -> None:
        """TF programs are not compared op for op."""
        return None

    def warm_up(self) -> dict[str, float]:
        """Runs each timed call twice (tracing the forward); returns seconds per call."""
        call = self._call
        self._forward = tf.function(
            lambda x: call(self._module, x, False), jit_compile=self._jit_compile
        )
        seconds = {}
        for figure in ("step", "forward", "dispatch"):
            self.time(figure, 1)
            seconds[figure] = self.time(figure, 1)
        return seconds

    def time(self, figure: str, calls: int) -> float:
        """Seconds per call over `calls` back-to-back calls of `step`, `forward` or `dispatch`."""
        if figure == "step":
            start = time.perf_counter()
            for _ in range(calls):
                loss = self._step(self._inputs, self._targets)
            _ = loss.numpy()
            return (time.perf_counter() - start) / calls
        if figure == "forward":
            start = time.perf_counter()
            for _ in range(calls):
                _ = self._forward(self._inputs).numpy()
            return (time.perf_counter() - start) / calls
        # Dispatch: the eager call; TF runs eager ops as they are called, so this includes them.
        start = time.perf_counter()
        for _ in range(calls):
            self._call(self._module, self._single, False)
        return (time.perf_counter() - start) / calls
