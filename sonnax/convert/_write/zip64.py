"""A streaming writer of uncompressed ZIP64 archives: the container of `.npz` params files.

Why not `zipfile`'s writer: it computes each member's crc32 in the writing thread, before each
write, which halves the conversion's throughput; here the crc32 of a member runs in a second
thread while the same bytes go to disk, with ISA-L's crc32 when the optional `isal` package is
installed (benchmarks/convert_checkpoint.py measures the result).
Reading stays with `zipfile` (and `np.load`), which check every crc32 this writer records.

Layout (PKWARE APPNOTE 6.3): each member is a local header whose sizes are 0xFFFFFFFF and whose
ZIP64 extra field holds the real ones (the central directory does the same for offsets too, so
archives of any size take the one code path the tests exercise), then the member's bytes; its
crc32, known only once the bytes are written, is then patched into the local header. After the
members come the central directory, the ZIP64 end-of-central-directory record, its locator and
the classic end record. Timestamps are fixed at 1980-01-01 so that the same input always gives
the same bytes.
"""

import concurrent.futures
import os
import struct
from typing import BinaryIO

try:  # ISA-L's crc32 is the same checksum as zlib's, computed about six times faster.
    from isal.isal_zlib import crc32
except ImportError:
    from zlib import crc32

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_ZIP64_END = struct.Struct("<IQHHIIQQQQ")
_ZIP64_LOCATOR = struct.Struct("<IIQI")
_END = struct.Struct("<IHHHHIIH")
_CRC_OFFSET = 14  # Of the crc32 field in a local header.
_VERSION = 45  # 4.5: ZIP64.
_MADE_BY = (3 << 8) | _VERSION  # Unix, so that unzip gives members mode 0644.
_UNIX_MODE = 0o100644 << 16
_UTF8_NAMES = 0x800
_DOS_DATE = (1 << 5) | 1  # 1980-01-01, the earliest DOS date.
_MAX16, _MAX32 = 0xFFFF, 0xFFFFFFFF


class ZipWriter:
    """Writes members to an archive, one at a time, then its directory on `finish`.

    Use it as a context manager: leaving the block stops its threads (crc32, flush).

    Args:
      file: an unbuffered binary file open for writing at offset 0 (`open(..., "wb", 0)`).
    """

    def __init__(self, file: BinaryIO):
        self._file = file
        self._offset = 0
        self._members: list[tuple[bytes, int, int, int]] = []
        self._crc_thread = concurrent.futures.ThreadPoolExecutor(1, "sonnax-zip-crc32")
        self._flush_thread = concurrent.futures.ThreadPoolExecutor(1, "sonnax-zip-flush")
        self._flushes: list[concurrent.futures.Future[None]] = []

    def add(self, name: str, header: bytes, data: memoryview) -> None:
        """Writes a member whose bytes are `header` followed by `data`.

        Args:
          name: the member's name in the archive.
          header: its first bytes (small).
          data: the rest, as a contiguous byte view; never copied.
        """
        encoded = name.encode()
        size, offset = len(header) + data.nbytes, self._offset
        fields = (_VERSION, _UTF8_NAMES, 0, 0, _DOS_DATE, 0, _MAX32, _MAX32, len(encoded), 20)
        local = _LOCAL.pack(0x04034B50, *fields) + encoded + struct.pack("<HHQQ", 1, 16, size, size)
        crc = self._crc_thread.submit(crc32, data, crc32(header))
        try:
            self._write(local + header)
            self._write(data)
        finally:
            checksum = crc.result()  # Even on failure: the thread must be done with `data`.
        os.pwrite(self._file.fileno(), struct.pack("<I", checksum), offset + _CRC_OFFSET)
        if hasattr(os, "posix_fadvise"):
            # Starts writing the member to disk now, in a thread, rather than all in the final
            # fsync, and keeps a large output from crowding the page cache (on Linux DONTNEED
            # starts the writeback of dirty pages, then drops clean ones).
            advice = (self._file.fileno(), offset, size, os.POSIX_FADV_DONTNEED)
            self._flushes.append(self._flush_thread.submit(os.posix_fadvise, *advice))
        self._members.append((encoded, checksum, size, offset))

    def __enter__(self) -> "ZipWriter":
        return self

    def __exit__(self, *_: object) -> None:
        self._crc_thread.shutdown()
        self._flush_thread.shutdown()

    def finish(self) -> None:
        """Writes the central directory and end records; the file itself stays open."""
        for flush in self._flushes:
            flush.result()  # Raises the first failed advice's OSError, if any.
        start = self._offset
        for name, crc, size, offset in self._members:
            fields = (crc, _MAX32, _MAX32, len(name), 28, 0, 0, 0, _UNIX_MODE, _MAX32)
            central = _CENTRAL.pack(
                0x02014B50, _MADE_BY, _VERSION, _UTF8_NAMES, 0, 0, _DOS_DATE, *fields
            )
            self._write(central + name + struct.pack("<HHQQQ", 1, 24, size, size, offset))
        self._write(_end_records(len(self._members), start, self._offset - start))

    def _write(self, data: bytes | memoryview) -> None:
        """Writes all of `data`: a raw file may write less than asked in one call."""
        view = memoryview(data).cast("B")
        while view.nbytes:
            written = self._file.write(view)
            if written is None or written <= 0:
                raise OSError(f"write returned {written} at byte {self._offset}")
            view = view[written:]
            self._offset += written


def _end_records(count: int, start: int, size: int) -> bytes:
    """The ZIP64 end record and its locator, then the classic end record (values capped)."""
    zip64_end = _ZIP64_END.pack(
        0x06064B50, _ZIP64_END.size - 12, _MADE_BY, _VERSION, 0, 0, count, count, size, start
    )
    locator = _ZIP64_LOCATOR.pack(0x07064B50, 0, start + size, 1)
    capped = (min(count, _MAX16), min(count, _MAX16), min(size, _MAX32), min(start, _MAX32))
    return zip64_end + locator + _END.pack(0x06054B50, 0, 0, *capped, 0)
