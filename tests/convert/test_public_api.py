"""Tests for sonnax/convert/__init__.py: the public names, declared once, with no TensorFlow."""

import subprocess
import sys

import pytest

import sonnax.convert
from sonnax.convert import errors


def test_all_is_sorted_and_resolves():
    assert sonnax.convert.__all__ == sorted(sonnax.convert.__all__)
    for name in sonnax.convert.__all__:
        assert getattr(sonnax.convert, name) is not None, name


def test_the_error_hierarchy_and_its_exit_codes():
    hierarchy = {
        error.__name__: (error.__mro__[1].__name__, error.exit_code)
        for error in vars(errors).values()
        if isinstance(error, type) and issubclass(error, Exception)
    }
    assert hierarchy == {
        "ConvertError": ("Exception", 7),
        "InputNotFoundError": ("ConvertError", 3),
        "NotACheckpointError": ("ConvertError", 3),
        "CorruptCheckpointError": ("ConvertError", 4),
        "ChecksumError": ("CorruptCheckpointError", 4),
        "UnsupportedError": ("ConvertError", 5),
        "OutputError": ("ConvertError", 6),
        "MismatchError": ("ConvertError", 8),
    }
    assert all(name in sonnax.convert.__all__ for name in hierarchy)


def test_import_needs_no_tensorflow():
    code = "import sys, sonnax.convert, sonnax.convert.__main__; print('tensorflow' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("missing", ["cramjam", "google_crc32c", "google.protobuf"])
def test_missing_dependency_names_the_extra(missing):
    code = f"import sys; sys.modules[{missing!r}] = None\nimport sonnax.convert"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "pip install 'sonnax[convert]'" in result.stderr
