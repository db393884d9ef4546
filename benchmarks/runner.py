"""Runs the figures of each model for each library, interleaved, in one process."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks import (
    flax_linen,
    flax_nnx,
    haiku_style,
    hand_jax,
    hlo,
    jax_case,
    sonnet_style,
    specs,
    timing,
)

# Keys in tables and JSON; `jax` is hand-written JAX, `compat` the Sonnet source on sonnax.compat.
LIBRARIES = ("jax", "sonnax", "haiku", "linen", "nnx", "compat", "tf", "tf-xla")
FIGURES = ("step", "forward", "init", "compile", "dispatch")
# The figures measured in rounds; `init` and `compile` are measured `compile_repeats` times.
_ROUND_FIGURES = ("step", "forward", "dispatch")


def make_case(library: str, model: specs.ModelSpec) -> Any:
    """The `JaxCase` or `TFCase` of `model` in `library`; imports the library now."""
    builders: dict[str, Callable[[], Any]] = {
        "jax": lambda: hand_jax.build(model),
        "sonnax": lambda: haiku_style.build(importlib.import_module("sonnax"), model),
        "haiku": lambda: haiku_style.build(importlib.import_module("haiku"), model),
        "linen": lambda: flax_linen.build(model),
        "nnx": lambda: flax_nnx.build(model),
        "compat": lambda: sonnet_style.build_compat(model),
    }
    if library in builders:
        return jax_case.JaxCase(library, model, builders[library])
    if library in ("tf", "tf-xla"):
        sonnet_tf = importlib.import_module("benchmarks.sonnet_tf")  # TensorFlow only if asked.
        return sonnet_tf.TFCase(library, model, jit_compile=library == "tf-xla")
    raise ValueError(f"Unknown library {library!r}: choose from {', '.join(LIBRARIES)}.")


def _compare_programs(cases: dict[str, Any]) -> dict[str, Any]:
    """sonnax's compiled step and forward against hand-written JAX's and dm-haiku's."""
    if "sonnax" not in cases:
        return {}
    return {
        f"{figure}_sonnax_vs_{other}": hlo.compare(
            cases["sonnax"].hlo_text(figure), cases[other].hlo_text(figure)
        )
        for figure in ("step", "forward")
        for other in ("jax", "haiku")
        if other in cases
    }


def run_model(
    model: specs.ModelSpec,
    libraries: Sequence[str],
    figures: Sequence[str],
    sample_seconds: float,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Measures `figures` of `model` for each library.

    Libraries take turns within each round, starting from a different one each round, so
    that changing load on the machine is spread over all of them; the step, forward and
    dispatch rounds run after every library is compiled and warmed up.

    Returns:
      `{"samples": {library: {figure: [seconds, ...]}}, "calls": {...}, "hlo": {...}}`.
    """
    cases = {library: make_case(library, model) for library in libraries}
    samples: dict[str, dict[str, list[float]]] = {lib: {} for lib in libraries}
    repeats = model.compile_repeats if {"init", "compile"} & set(figures) else 1
    for library in libraries:
        log(f"{model.name}: {library} priming")
        cases[library].prime()
    for index in range(repeats):
        for library in timing.rotated(libraries, index):
            log(f"{model.name}: {library} init")
            total, trace = cases[library].measure_init()
            if "init" in figures:
                samples[library].setdefault("init", []).append(total)
                if trace is not None:
                    samples[library].setdefault("init_trace", []).append(trace)
    for index in range(repeats):
        for library in timing.rotated(libraries, index):
            log(f"{model.name}: {library} trace and compile")
            trace, compile_ = cases[library].measure_trace_compile()
            if "compile" in figures:
                for figure, seconds in (
                    ("trace", trace),
                    ("xla", compile_),
                    ("compile", trace + compile_),
                ):
                    samples[library].setdefault(figure, []).append(seconds)
    calls: dict[str, dict[str, int]] = {}
    for library in libraries:
        log(f"{model.name}: {library} warm-up")
        once = cases[library].warm_up()
        calls[library] = {
            f: timing.calls_per_sample(once[f], sample_seconds) for f in _ROUND_FIGURES
        }
    for index in range(model.rounds if set(_ROUND_FIGURES) & set(figures) else 0):
        log(f"{model.name}: round {index + 1}/{model.rounds}")
        for library in timing.rotated(libraries, index):
            for figure in _ROUND_FIGURES:
                if figure in figures:
                    seconds = cases[library].time(figure, calls[library][figure])
                    samples[library].setdefault(figure, []).append(seconds)
    return {"samples": samples, "calls": calls, "hlo": _compare_programs(cases)}
