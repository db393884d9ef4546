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
    ratios, best_ratios = _ratios(samples, timing.paired_ratio), _ratios(samples, timing.best_ratio)
    return {
        "spec": dataclasses.asdict(model),
        "figures": figures,
        "ratios": ratios,
        "best_ratios": best_ratios,
        "calls_per_sample": raw["calls"],
        "hlo": raw["hlo"],
    }


def _ratios(samples: Mapping[str, Any], ratio: Any) -> dict[str, Any]:
    """`{reference: {library: {figure: ratio(samples, reference samples)}}}`, references
    `jax`, `haiku` and, for compat's step, `fastest_tf` (per round, the faster TF variant)."""
    ratios: dict[str, Any] = {}
    for reference in ("jax", "haiku"):
        if reference in samples:
            ratios[reference] = {
                lib: {
                    fig: ratio(s, samples[reference][fig])
                    for fig, s in by_fig.items()
                    if fig in samples[reference]
                }
                for lib, by_fig in samples.items()
            }
    tf_steps = [samples[lib]["step"] for lib in _FASTEST_TF if "step" in samples.get(lib, {})]
    if tf_steps and "step" in samples.get("compat", {}):
        fastest = [min(round_) for round_ in zip(*tf_steps, strict=True)]
        ratios["fastest_tf"] = {"compat": {"step": ratio(samples["compat"]["step"], fastest)}}
    return ratios


def _ratio(
    result: Mapping[str, Any], reference: str, library: str, figure: str, kind: str = "ratios"
) -> float | None:
    return result[kind].get(reference, {}).get(library, {}).get(figure)


# (row name, reference, library, figure, limit, models or None for all); parenthesised
# rows are not targets of the issue: they are the parts of init and compile that the
# library's Python makes (the rest is XLA compiling the same program).
_TARGETS = (
    ("sonnax step / jax", "jax", "sonnax", "step", 1.02, None),
    ("sonnax forward / jax", "jax", "sonnax", "forward", 1.02, None),
    ("sonnax init / haiku", "haiku", "sonnax", "init", 0.8, None),
    ("sonnax compile / haiku", "haiku", "sonnax", "compile", 0.8, None),
    ("(sonnax init trace / haiku)", "haiku", "sonnax", "init_trace", 0.8, None),
    ("(sonnax step trace / haiku)", "haiku", "sonnax", "trace", 0.8, None),
    ("sonnax dispatch / haiku", "haiku", "sonnax", "dispatch", 0.8, ("mlp",)),
    ("compat step / fastest tf", "fastest_tf", "compat", "step", 1.0, None),
)


def targets(results: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets per model: the median paired ratio against its limit (and the
    ratio of the fastest samples, for reading through load on the machine)."""
    rows: list[dict[str, Any]] = []
    for model, result in results.items():
        for name, reference, library, figure, limit, models in _TARGETS:
            value = _ratio(result, reference, library, figure)
            if value is None or (models is not None and model not in models):
                continue
            best = _ratio(result, reference, library, figure, "best_ratios")
            row = {"target": name, "model": model, "value": value, "limit": limit, "best": best}
            rows.append({**row, "met": value <= limit})
        for figure in ("step", "forward"):
            same = result["hlo"].get(f"{figure}_sonnax_vs_jax")
            if same is not None:
                verdict = same["same_typed_ops"]
                row = {"target": f"sonnax {figure} HLO == jax", "model": model, "value": verdict}
                rows.append({**row, "limit": True, "best": None, "met": verdict})
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
            f"  HLO of the {name.replace('_sonnax_vs_', ', sonnax vs ')}: "
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
    lines = ["targets: median per-round ratio (rows in parentheses: the traced part, not a target)"]
    for row in rows:
        value = str(row["value"]) if isinstance(row["value"], bool) else f"{row['value']:.3f}"
        limit = "" if isinstance(row["limit"], bool) else f" <= {row['limit']}"
        verdict = "met" if row["met"] else "MISSED"
        best = "" if row["best"] is None else f"  (fastest samples: {row['best']:.3f})"
        lines.append(
            f"  {row['target']:<28} {row['model']:<12} {value:>6}{limit:<8} {verdict:<6}{best}"
        )
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
