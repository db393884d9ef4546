"""Package metadata for sonnax; the version is read from sonnax/__init__.py."""

import pathlib
import re

from setuptools import find_packages, setup

_HERE = pathlib.Path(__file__).parent
_VERSION = re.search(
    r'^__version__ = "([^"]+)"', (_HERE / "sonnax" / "__init__.py").read_text(), re.M
).group(1)

# Reading TF checkpoints (sonnax.convert) needs these, never TensorFlow itself; loading them into
# sonnax.compat (the README's main job) needs optax, which compat's optimizers are built on.
_CONVERT = [
    "protobuf>=4.25",
    "google-crc32c>=1.5",
    "cramjam>=2.8",
    "isal>=1.6",
    "tqdm>=4.66",
    "optax>=0.2.4",
]
# TensorFlow and Sonnet: live-module conversion, and oracles in tests; never imported by `sonnax`.
_TF = ["tensorflow-cpu>=2.16", "dm-sonnet>=2.0.2", "dm-tree>=0.1.8"]
_TEST = [
    "pytest>=8",
    "pytest-xdist>=3.5",
    "hypothesis>=6.100",
    "absl-py>=2.0",
    "tabulate>=0.8.9",
    "dm-haiku>=0.0.17",
    "flax>=0.10",
    "jmp>=0.0.4",
    "optax>=0.2.4",
    "mypy>=1.10",
    "ruff>=0.6",
    "keras>=3",
    "scikit-learn>=1.3",
    "tqdm>=4.66",
]

setup(
    name="sonnax",
    version=_VERSION,
    description="Haiku's programming model for JAX, with a Sonnet 2 compatibility layer.",
    long_description=(_HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.11",
    packages=find_packages(include=["sonnax", "sonnax.*"]),
    package_data={"sonnax": ["py.typed"]},
    install_requires=["jax>=0.4.35", "jaxlib>=0.4.35", "numpy>=1.26"],
    extras_require={
        "convert": _CONVERT,
        "tf": _TF,
        "test": _TEST + _CONVERT + _TF,
        # The examples checkpoint with sonnax.convert.save, so they need the convert extra too.
        "examples": [
            "optax>=0.2.4",
            "absl-py>=2.0",
            "keras>=3",
            "scikit-learn>=1.3",
            *_CONVERT,
        ],
        # sonnax.experimental's flax interop and tabulate; never needed by `import sonnax`.
        "flax": ["flax>=0.10"],
        "tabulate": ["tabulate>=0.8.9"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: Apache Software License",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
