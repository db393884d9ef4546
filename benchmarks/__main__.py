"""`python -m benchmarks`: the same models in each library, timed side by side in one process.

Models: the MLP (784-1000-100-10, batch 128), ResNet-18 on 32x32, ResNet-50 at 224x224
(batch 2), an LSTM (hidden 256, 50 steps, batch 32, `dynamic_unroll`) and a transformer block
(d 256, 4 heads, sequence 128). Libraries: hand-written JAX (`jax`), sonnax, dm-haiku, Flax
linen and nnx, the Sonnet source on sonnax.compat (`compat`), and TF Sonnet 2 under
`tf.function` without and with `jit_compile` (`tf`, `tf-xla`).

    python -m benchmarks                              # everything, about 10 minutes on 2 cores
    python -m benchmarks --quick                      # small models, few repeats
    python -m benchmarks --models mlp --libraries jax,sonnax,haiku

Prints a table per model and the targets; writes every sample to `--json`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Sequence

from benchmarks import report, runner, specs


def _names(text: str, allowed: Sequence[str], what: str) -> list[str]:
    names = [name for name in text.split(",") if name]
    unknown = [name for name in names if name not in allowed]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown {what} {unknown}: choose from {','.join(allowed)}"
        )
    return names


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--models",
        type=lambda t: _names(t, specs.MODELS, "models"),
        default=list(specs.MODELS),
        help=f"comma-separated, from {','.join(specs.MODELS)} (default: all)",
    )
    parser.add_argument(
        "--libraries",
        type=lambda t: _names(t, runner.LIBRARIES, "libraries"),
        default=list(runner.LIBRARIES),
        help=f"comma-separated, from {','.join(runner.LIBRARIES)} (default: all)",
    )
    parser.add_argument(
        "--figures",
        type=lambda t: _names(t, runner.FIGURES, "figures"),
        default=list(runner.FIGURES),
        help=f"comma-separated, from {','.join(runner.FIGURES)} (default: all)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small models and few repeats (a smoke test)"
    )
    parser.add_argument("--rounds", type=int, help="timing rounds per model (default: per model)")
    parser.add_argument(
        "--compile-repeats", type=int, help="init and compile measurements per library"
    )
    parser.add_argument(
        "--sample-seconds",
        type=float,
        help="length of one timing sample (default 0.05, quick 0.01)",
    )
    parser.add_argument(
        "--json", default="benchmark-results.json", help="where to write the results"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the benchmarks of `argv` (default `sys.argv[1:]`); returns the exit status."""
    args = _parser().parse_args(argv)
    started = time.perf_counter()

    def log(message: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    sample_seconds = args.sample_seconds or (0.01 if args.quick else 0.05)
    # A throwaway pass over the tiny MLP: first-use costs (imports, JAX's own caches, TF's
    # start-up) land here and not on whichever library happens to be measured first.
    warm = dataclasses.replace(specs.spec("mlp", quick=True), rounds=1, compile_repeats=1)
    runner.run_model(
        warm, args.libraries, args.figures, 0.001, lambda message: log(f"warm-up {message}")
    )
    results = {}
    for name in args.models:
        model = specs.spec(name, args.quick)
        overrides = {"rounds": args.rounds, "compile_repeats": args.compile_repeats}
        model = dataclasses.replace(model, **{k: v for k, v in overrides.items() if v is not None})
        raw = runner.run_model(model, args.libraries, args.figures, sample_seconds, log)
        results[name] = report.summarize(model, raw)
        print(report.model_table(results[name]), flush=True)
    rows = report.targets(results)
    print(report.target_table(rows))
    print(report.LEGEND)
    document = {
        "command": ["python", "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)],
        "quick": args.quick,
        "environment": report.environment(),
        "models": results,
        "targets": rows,
        "seconds": time.perf_counter() - started,
    }
    report.write_json(args.json, document)
    log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
