"""Benchmark: converting a >= 1 GB TF checkpoint, against copying its files and the TF route.

Run from the repository root (TensorFlow must be installed, to write the checkpoint and for the
TF route)::

    python -m benchmarks.convert_checkpoint --size-gb 1.0

One command writes a checkpoint of `--tensors` float32 variables with `tf.train.Checkpoint` into a
temporary directory, then times, each in a fresh subprocess so that one method's peak memory cannot
hide another's:

* `copy`: `shutil.copyfile` of the checkpoint's files (read plus write: the practical limit);
* `copy+fsync`: the same, each copy flushed to disk (sonnax fsyncs its output: the fair limit);
* `tf+savez`: `tf.train.load_checkpoint`, `get_tensor` for every variable, then `np.savez`;
* `sonnax`: `sonnax.convert.convert` (TF-free reader, name mapping, atomic streamed `.npz`).

Peak-RSS growth is `ru_maxrss` at the end minus `ru_maxrss` once the method's modules are
imported. The checkpoint is in the page cache for every method (it was just written), and dirty
pages are synced between runs, so every method starts from the same state.
"""

import argparse
import glob
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

METHODS = ("copy", "copy+fsync", "tf+savez", "sonnax")
_ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def generate(prefix: str, size_gb: float, tensors: int) -> int:
    """Writes a checkpoint of `tensors` float32 variables totalling `size_gb` GB; returns bytes."""
    import numpy as np
    import tensorflow as tf

    rows = max(1, int(size_gb * 1e9 / tensors / 4 / 1024))
    rng = np.random.default_rng(0)
    module = tf.Module(name="model")
    module.layers = [
        tf.Variable(rng.standard_normal((rows, 1024), np.float32), name=f"model/layer_{i}/w")
        for i in range(tensors)
    ]
    tf.train.Checkpoint(model=module).write(prefix)
    return tensors * rows * 1024 * 4


def checkpoint_files(prefix: str) -> list[str]:
    """The checkpoint's index and data shards."""
    return sorted(glob.glob(f"{prefix}.data-*")) + [f"{prefix}.index"]


def _copy(prefix: str, out: str, fsync: bool) -> None:
    os.makedirs(out)
    for path in checkpoint_files(prefix):
        target = os.path.join(out, os.path.basename(path))
        shutil.copyfile(path, target)
        if fsync:
            with open(target, "rb+") as file:
                os.fsync(file.fileno())


def _tf_savez(prefix: str, out: str) -> None:
    import numpy as np
    import tensorflow as tf

    reader = tf.train.load_checkpoint(prefix)
    dtypes = reader.get_variable_to_dtype_map()
    arrays = {name: reader.get_tensor(name) for name, dtype in dtypes.items() if dtype != tf.string}
    np.savez(out, **arrays)


def _prepare(method: str):
    """Imports what `method` needs and returns `run(prefix, out)`."""
    if method.startswith("copy"):
        return lambda prefix, out: _copy(prefix, out, fsync=method == "copy+fsync")
    if method == "tf+savez":
        import numpy  # noqa: F401
        import tensorflow  # noqa: F401

        return _tf_savez
    from sonnax import convert

    return lambda prefix, out: convert.convert(prefix, out, overwrite=True)


def worker(method: str, prefix: str, out: str) -> None:
    """Runs one method in this process and prints `{"seconds", "rss_growth"}` as JSON."""
    run = _prepare(method)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    run(prefix, out)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rss_growth": (peak - baseline) * 1024}))


def measure(method: str, prefix: str, workdir: str) -> dict[str, float]:
    """Runs `method` in a subprocess, removes its output and syncs; returns its figures."""
    out = os.path.join(workdir, "out.npz" if "savez" in method or method == "sonnax" else "copy")
    command = [sys.executable, os.path.abspath(__file__), "--worker", method, prefix, out]
    result = subprocess.run(command, capture_output=True, text=True, env=_ENV, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{method} failed:\n{result.stderr[-3000:]}")
    if os.path.isdir(out):
        shutil.rmtree(out)
    else:
        os.remove(out)
    os.sync()
    return json.loads(result.stdout.strip().splitlines()[-1])


def report(results: dict[str, dict[str, float]], nbytes: int, tensors: int) -> str:
    """A table of seconds, GB/s, ratios and peak-RSS growth per method, then the targets."""
    rates = {method: nbytes / figures["seconds"] for method, figures in results.items()}
    lines = [
        f"checkpoint: {nbytes / 1e9:.2f} GB in {tensors} float32 tensors; best of the runs",
        f"{'method':<11} {'seconds':>8} {'GB/s':>6} {'x copy':>7} {'x copy+fsync':>13} "
        f"{'RSS growth':>11} {'/ size':>7}",
    ]
    for method, figures in results.items():
        lines.append(
            f"{method:<11} {figures['seconds']:>8.2f} {rates[method] / 1e9:>6.2f} "
            f"{rates[method] / rates['copy']:>7.2f} {rates[method] / rates['copy+fsync']:>13.2f} "
            f"{figures['rss_growth'] / 1e6:>8.0f} MB {figures['rss_growth'] / nbytes:>7.3f}"
        )
    speed, memory = rates["sonnax"] / rates["copy"], results["sonnax"]["rss_growth"] / nbytes
    lines.append(
        f"target: sonnax >= 0.5x copy: {speed:.2f}x, {'met' if speed >= 0.5 else 'missed'}"
    )
    lines.append(
        f"target: RSS growth < 0.25x size: {memory:.3f}x, {'met' if memory < 0.25 else 'missed'}"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=1.0, help="checkpoint size (>= 1.0)")
    parser.add_argument("--tensors", type=int, default=64, help="number of tensors (>= 64)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per method; best is shown")
    parser.add_argument("--dir", default=None, help="where to make the temporary directory")
    parser.add_argument(
        "--worker", nargs=3, metavar=("METHOD", "PREFIX", "OUT"), help=argparse.SUPPRESS
    )
    parser.add_argument("--generate", metavar="PREFIX", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    if args.generate:
        generate(args.generate, args.size_gb, args.tensors)
        return
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="sonnax_bench_") as workdir:
        prefix = os.path.join(workdir, "ckpt", "ckpt")
        # Generated in a subprocess: a child inherits its parent's peak RSS as its own
        # `ru_maxrss`, so this process must stay small for the workers' baselines to mean much.
        generator = [sys.executable, os.path.abspath(__file__), "--generate", prefix]
        generator += ["--size-gb", str(args.size_gb), "--tensors", str(args.tensors)]
        subprocess.run(generator, env=_ENV, check=True)
        nbytes = sum(os.path.getsize(path) for path in checkpoint_files(prefix)[:-1])
        os.sync()
        # Methods take turns, so that a burst of load on the machine hits them all alike.
        runs = [[measure(m, prefix, workdir) for m in METHODS] for _ in range(args.repeats)]
        results = {
            method: {
                "seconds": min(run[index]["seconds"] for run in runs),
                "rss_growth": max(run[index]["rss_growth"] for run in runs),
            }
            for index, method in enumerate(METHODS)
        }
        print(report(results, nbytes, args.tensors))


if __name__ == "__main__":
    main()
