"""Fails early, naming the pip extra, when a package that reading checkpoints needs is missing."""

import importlib

_NEEDED = {"google.protobuf": "protobuf", "google_crc32c": "google-crc32c", "cramjam": "cramjam"}

for _module, _package in _NEEDED.items():
    try:
        importlib.import_module(_module)
    except ImportError as e:
        raise ImportError(
            f"sonnax.convert needs the package {_package!r}, which is not installed: "
            "install the convert extra with `pip install 'sonnax[convert]'`."
        ) from e
