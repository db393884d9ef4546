"""Summaries, ratios, targets, the printed tables and the JSON file."""

from __future__ import annotations

import dataclasses
import datetime
import importlib.metadata
import json
import os
import platform
import tempfile
from collections.abc import Mapping
from typing import Any

from benchmarks import specs, timing

# Columns of the printed table: figure key, heading.
_COLUMNS = (
    ("step", "train step"),
    ("forward", "forward"),
    ("init", "init"),
    ("init_trace", "init trace"),
    ("compile", "trace+compile"),
    ("trace", "step trace"),
    ("dispatch", "dispatch"),
)
_PACKAGES = ("jax", "jaxlib", "dm-haiku", "flax", "optax", "tensorflow-cpu", "dm-sonnet", "numpy")
_FASTEST_TF = ("tf", "tf-xla")


def summarize(model: specs.ModelSpec, raw: Mapping[str, Any]) -> dict[str, Any]:
    """A model's figures (`timing.summary` each) and ratios to `jax` and `haiku`."""
    samples = raw["samples"]
    figures = {
        lib: {fig: timing.summary(s) for fig, s in by_fig.items()}
        for lib, by_fig in samples.items()
    }
    ratios: dict[str, Any] = {}
    for reference in ("jax", "haiku"):
        if reference in samples:
            ratios[reference] = {
                lib: {
                    fig: timing.paired_ratio(s, samples[reference][fig])
                    for fig, s in by_fig.items()
                    if fig in samples[reference]
                }
                for lib, by_fig in samples.items()
            }
    tf_steps = [samples[lib]["step"] for lib in _FASTEST_TF if "step" in samples.get(lib, {})]
    if tf_steps and "step" in samples.get("compat", {}):
        fastest = [min(round_) for round_ in zip(*tf_steps, strict=True)]
        ratios["fastest_tf"] = {
            "compat": {"step": timing.paired_ratio(samples["compat"]["step"], fastest)}
        }
    return {
        "spec": dataclasses.asdict(model),
        "figures": figures,
        "ratios": ratios,
        "calls_per_sample": raw["calls"],
        "hlo": raw["hlo"],
    }


def _ratio(result: Mapping[str, Any], reference: str, library: str, figure: str) -> float | None:
    return result["ratios"].get(reference, {}).get(library, {}).get(figure)


def targets(results: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and whether it is met."""
    rows = []

    def add(target: str, model: str, value: Any, limit: float) -> None:
        if value is not None:
            rows.append(
                {
                    "target": target,
                    "model": model,
                    "value": value,
                    "limit": limit,
                    "met": value <= limit,
                }
            )

    for model, result in results.items():
        for figure in ("step", "forward"):
            add(f"sonnax {figure} / jax", model, _ratio(result, "jax", "sonnax", figure), 1.02)
        for figure in ("init", "compile"):
            add(f"sonnax {figure} / haiku", model, _ratio(result, "haiku", "sonnax", figure), 0.8)
        # Not targets of the issue: the parts of those two that the library's Python makes.
        for figure in ("init_trace", "trace"):
            add(f"(sonnax {figure} / haiku)", model, _ratio(result, "haiku", "sonnax", figure), 0.8)
        if model == "mlp":
            add(
                "sonnax dispatch / haiku", model, _ratio(result, "haiku", "sonnax", "dispatch"), 0.8
            )
        add("compat step / fastest tf", model, _ratio(result, "fastest_tf", "compat", "step"), 1.0)
        same = result["hlo"].get("sonnax_vs_jax")
        if same is not None:
            rows.append(
                {
                    "target": "sonnax step HLO == jax",
                    "model": model,
                    "value": same["same_typed_ops"],
                    "limit": True,
                    "met": same["same_typed_ops"],
                }
            )
    return rows


def _cell(result: Mapping[str, Any], library: str, figure: str) -> str:
    summary = result["figures"][library].get(figure)
    if summary is None:
        return "-"
    text = f"{timing.format_seconds(summary['median'])}"
    if len(summary["samples"]) > 1:
        text += f"±{100 * summary['spread']:.0f}%"
    for reference in ("jax", "haiku"):
        ratio = _ratio(result, reference, library, figure)
        text += " -" if ratio is None else f" {ratio:.2f}"
    return text


def model_table(result: Mapping[str, Any]) -> str:
    """One model's table: a row per library, `median±spread ×jax ×haiku` per figure."""
    spec = result["spec"]
    dims = ", ".join(f"{k} {v}" for k, v in spec["dims"].items())
    lines = [f"{spec['name']} (batch {spec['batch']}; {dims})"]
    rows = [["library", *(heading for _, heading in _COLUMNS)]]
    for library in result["figures"]:
        rows.append([library, *(_cell(result, library, figure) for figure, _ in _COLUMNS)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines += [
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    for name, comparison in result["hlo"].items():
        lines.append(
            f"  HLO {name.replace('_vs_', ' vs ')}: "
            f"same opcode counts {comparison['same_opcodes']}, "
            f"same ops and shapes {comparison['same_typed_ops']} "
            f"({comparison['instructions']} vs {comparison['reference_instructions']} instructions)"
        )
    if "fastest_tf" in result["ratios"]:
        ratio = result["ratios"]["fastest_tf"]["compat"]["step"]
        lines.append(f"  compat step / fastest TF step: {ratio:.2f}")
    return "\n".join(lines)


def target_table(rows: list[dict[str, Any]]) -> str:
    """The targets, one line each: measured value, limit, met or missed."""
    lines = ["targets (rows in parentheses: the traced part, not a target of the issue)"]
    for row in rows:
        value = str(row["value"]) if isinstance(row["value"], bool) else f"{row['value']:.3f}"
        limit = "" if isinstance(row["limit"], bool) else f" <= {row['limit']}"
        verdict = "met" if row["met"] else "MISSED"
        lines.append(f"  {row['target']:<26} {row['model']:<12} {value:>6}{limit:<8} {verdict}")
    return "\n".join(lines)


LEGEND = (
    "Each cell: median ± half the interquartile range, then the median per-round ratio to "
    "hand-written JAX and to dm-haiku.\ntrain step: jitted forward, backward and SGD-momentum "
    "update, params and optimizer state donated (TF: tf.function, variables updated in place); "
    "forward: jitted inference; init: first call of a fresh jax.jit(init) (TF: construction and "
    "first eager call); init trace: its tracing and lowering alone; trace+compile: a fresh "
    "training step's jit lowering plus XLA compile (TF: get_concrete_function plus the first "
    "call, which runs one step); step trace: the lowering alone; dispatch: "
    "un-jitted inference call on one example, results awaited outside the clock."
)


def environment() -> dict[str, Any]:
    """Versions and machine facts to read the figures against."""
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    import jax

    import sonnax

    versions["sonnax"] = sonnax.__version__
    return {
        "versions": versions,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "device": str(jax.devices()[0].device_kind),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def write_json(path: str, document: Mapping[str, Any]) -> None:
    """Writes `document` to `path` atomically: a temporary file beside it, then a rename."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".benchmark-", suffix=".json")
    try:
        with os.fdopen(handle, "w") as file:
            json.dump(document, file, indent=1, sort_keys=True)
            file.write("\n")
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
