"""The sink writes chunks in order: its own CSV bytes, and text other processes write where it places them."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa

from geodata.join.output import Sink, WrittenElsewhere


def elsewhere(text: bytes) -> WrittenElsewhere:
    """Text written by 'another process': here a separate file descriptor, as a worker opens the file."""

    def write_at(path: str, offset: int) -> None:
        descriptor = os.open(path, os.O_WRONLY)
        try:
            os.pwrite(descriptor, text, offset)
        finally:
            os.close(descriptor)

    return WrittenElsewhere(size=len(text), write_at=write_at)


def test_placed_and_own_chunks_follow_each_other_after_the_header(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    sink = Sink(path, fmt="csv", columns=["id", "名称"])
    sink.write(b"1,a\n")
    sink.write(elsewhere("2,乙\n".encode()))
    sink.write(elsewhere(b"3,c\n"))
    sink.write(pa.py_buffer(b"4,d\n"))
    sink.write(elsewhere(b"5,e\n"))
    sink.close()
    assert path.read_bytes() == "id,名称\n1,a\n2,乙\n3,c\n4,d\n5,e\n".encode()
