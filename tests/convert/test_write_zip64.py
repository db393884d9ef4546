"""Tests for sonnax/convert/_write/zip64.py: the streaming zip writer and its crc32."""

import zipfile
import zlib

import numpy as np
import pytest

from sonnax.convert._write import zip64


class _TrickleFile:
    """A raw file that writes at most `limit` bytes per call, as raw files may."""

    def __init__(self, path, limit):
        self._file = open(path, "wb", buffering=0)
        self._limit = limit

    def write(self, data):
        return self._file.write(memoryview(data)[: self._limit]) if self._limit else 0

    def fileno(self):
        return self._file.fileno()

    def close(self):
        self._file.close()


def test_zip_writer_completes_short_writes(tmp_path):
    file = _TrickleFile(tmp_path / "a.zip", limit=7)
    with zip64.ZipWriter(file) as writer:
        writer.add("x.bin", b"head", memoryview(bytes(range(200))))
        writer.finish()
    file.close()
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert archive.read("x.bin") == b"head" + bytes(range(200))


def test_zip_writer_raises_when_nothing_is_written(tmp_path):
    file = _TrickleFile(tmp_path / "a.zip", limit=0)
    with pytest.raises(OSError, match="write returned 0 at byte 0"):
        with zip64.ZipWriter(file) as writer:
            writer.add("x.bin", b"head", memoryview(b"data"))
    file.close()


def test_the_zip_crc32_is_zlibs_checksum():
    data = np.random.default_rng(0).bytes(1 << 20)
    assert zip64.crc32(data) == zlib.crc32(data)
    assert zip64.crc32(data[7:], zip64.crc32(data[:7])) == zlib.crc32(data)
