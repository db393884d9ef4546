"""Flax interop: sonnax functions as linen modules and linen modules inside sonnax.

Imported only through `sonnax.experimental.flax`, never by `import sonnax`.
"""

try:
    import flax.linen  # noqa: F401  (checked here so the error names the extra)
except ImportError as e:
    raise ImportError(
        "sonnax.experimental.flax needs Flax, which is not installed: "
        "pip install 'sonnax[flax]' (or pip install flax)."
    ) from e
