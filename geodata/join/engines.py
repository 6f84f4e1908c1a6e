"""The two engines that join the chunks: in this process (geopandas) or on a Dask cluster, in input order."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from geodata.join.chunk import ChunkResult, join_chunk
from geodata.join.errors import JoinInputError, first_line
from geodata.join.inputs import (
    CSV_READ,
    Source,
    csv_blocksize,
    local_chunks,
    parquet_row_group,
    text_range,
    text_ranges,
)
from geodata.join.output import Tally, WrittenElsewhere
from geodata.join.units import Units

if TYPE_CHECKING:
    from distributed import Client, Future, LocalCluster

ENGINES = ("geopandas", "dask")
#: Partitions per worker thread submitted ahead of the one being written, so no worker waits for the writer.
IN_FLIGHT = 4


def dask_partitions(source: Source, *, chunk_rows: int, text: bool) -> list:
    """The input as dask Delayed partitions, each read where it is joined (CSV byte ranges as Arrow text if `text`).

    dask.dataframe and dask_geopandas are imported only by the readers that use them (about a
    second, before the first partition could start).
    """
    import dask

    if source.kind == "csv" and text:
        ranges = text_ranges(source, chunk_rows=chunk_rows)
        return [functools.partial(text_range, source, start=start, end=end) for start, end in ranges]
    if source.kind == "csv":
        import dask.dataframe as dd

        blocksize = csv_blocksize(source.path, chunk_rows=chunk_rows)
        return dd.read_csv(source.path, blocksize=blocksize, **CSV_READ).to_delayed()
    if source.kind == "parquet":
        with pq.ParquetFile(source.path) as parquet:
            groups = parquet.metadata.num_row_groups
        return [dask.delayed(parquet_row_group)(source, index=index) for index in range(groups)]
    import dask_geopandas

    return dask_geopandas.read_file(source.dataset or source.path, chunksize=chunk_rows).to_delayed()


def read_and_join(read: Callable[[], pd.DataFrame | pa.Table], **options: Any) -> ChunkResult:
    """One dask task: read a partition and join it, so the rows never travel between workers."""
    return join_chunk(read(), **options)


def outline(result: ChunkResult) -> tuple[ChunkResult, str | None]:
    """On the worker holding a joined chunk: the chunk with the size of its CSV text in place of the text.

    With the worker's address, so the text can be written there; (the whole result, None) when
    there is no text to hold (a Parquet chunk, or a chunk only checked).
    """
    from distributed import get_worker

    if not isinstance(result.payload, bytes | pa.Buffer):
        return result, None
    return dataclasses.replace(result, payload=memoryview(result.payload).nbytes), get_worker().address


def write_at(result: ChunkResult, *, path: str, offset: int) -> int:
    """On the worker holding a joined chunk: write its CSV text into the output file at `offset`."""
    if not isinstance(result.payload, bytes | pa.Buffer):
        raise TypeError("only CSV text is written in place")
    text = memoryview(result.payload).cast("B")
    descriptor = os.open(path, os.O_WRONLY)
    try:
        done = 0
        while done < len(text):
            done += os.pwrite(descriptor, text[done:], offset + done)
    finally:
        os.close(descriptor)
    return done


class HeldText:
    """CSV text left with the local workers that made it: each chunk is written by its worker, where the sink says."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.writes: list[Future] = []

    def payload(self, joined: Future, *, size: int, holder: str) -> WrittenElsewhere:
        """The sink's handle on one chunk's text: placing it sends its worker a write (ahead of further joins)."""

        def place(path: str, offset: int) -> None:
            task = self.client.submit(
                write_at, joined, path=path, offset=offset, workers=[holder], allow_other_workers=False, priority=1
            )
            self.writes.append(task)

        return WrittenElsewhere(size=size, write_at=place)

    def wait(self) -> None:
        """Until every placed chunk is in the file; a failed write raises here."""
        for task in self.writes:
            task.result()
        self.writes.clear()


def geopandas_results(
    source: Source,
    *,
    units: Units,
    level: str,
    fmt: str,
    chunk_rows: int,
    tally: Tally,
    text: bool,
    values: tuple[str, ...] = (),
) -> Iterator[ChunkResult]:
    """Join chunk after chunk in this process."""
    for chunk in local_chunks(source, chunk_rows=chunk_rows, text=text):
        check_only = tally.failed
        yield join_chunk(chunk, source=source, units=units, level=level, fmt=fmt, check_only=check_only, values=values)


@contextlib.contextmanager
def dask_client(*, scheduler: str | None, workers: int | None) -> Iterator[Client]:
    """A client of the cluster at `scheduler`, or of a new local cluster of `workers` processes."""
    import dask
    from dask.distributed import Client

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise JoinInputError(f"cannot reach the Dask scheduler at {scheduler} ({first_line(exc)})") from None
        with client:
            yield client
        return
    if "forkserver" not in multiprocessing.get_all_start_methods():  # Windows: dask's default, spawn
        cluster = local_cluster(workers=workers or os.cpu_count() or 1)
    else:
        with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
            preload_workers()
            cluster = local_cluster(workers=workers or os.cpu_count() or 1)
    with cluster, Client(cluster) as client:
        yield client


#: What each local worker needs imported, done once in the fork server rather than again in every worker.
WORKER_MODULES = ("geodata.join.engines",)


def start_fork_server() -> None:
    """Start the fork server of local workers now, so it imports while this process reads its input and units."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    from multiprocessing import forkserver

    import dask
    import distributed  # noqa: F401  (its config first: dask.config.set before it would hide its defaults)

    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        preload_workers()
    forkserver.ensure_running()


def preload_workers() -> None:
    """Have the fork server import dask's packages and the join before it forks the workers."""
    from multiprocessing import forkserver

    from distributed.utils import get_mp_context

    context = get_mp_context()  # sets dask's own preload list first
    dask_preload = getattr(getattr(forkserver, "_forkserver", None), "_preload_modules", None) or ["distributed"]
    preload = [*dask_preload, *WORKER_MODULES]
    context.set_forkserver_preload(list(dict.fromkeys(preload)))


def local_cluster(*, workers: int) -> LocalCluster:
    """A cluster of `workers` processes on this machine, one thread each."""
    from dask.distributed import LocalCluster

    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )


def dask_results(
    source: Source,
    *,
    units: Units,
    level: str,
    fmt: str,
    chunk_rows: int,
    tally: Tally,
    scheduler: str | None,
    workers: int | None,
    text: bool,
    values: tuple[str, ...] = (),
) -> Iterator[ChunkResult]:
    """Join partitions on the cluster, at most IN_FLIGHT per worker thread at a time, yielded in input order.

    The counties' grid (the build's stored one, or built here once) is sent to every worker. On a local cluster each
    chunk's CSV text stays with the worker that made it, and that worker writes it into the output
    at the offset the sink gives it: the text never crosses a connection or passes through this
    process (pickled, sent and written here, it was most of this process's work, taking a core from
    the workers). A remote cluster's workers send their chunks back.
    """
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=1))
        built = pool.submit(lambda: units.grid)  # read (or built) here while the workers start; not once per worker
        client = stack.enter_context(dask_client(scheduler=scheduler, workers=workers))
        built.result()
        shared = client.scatter(units, broadcast=True, hash=False)
        held = HeldText(client) if scheduler is None else None
        window = IN_FLIGHT * max(1, sum(client.nthreads().values()))
        pending: deque = deque()
        for part in dask_partitions(source, chunk_rows=chunk_rows, text=text):
            options = {"source": source, "level": level, "fmt": fmt, "check_only": tally.failed, "values": values}
            options |= {"units": shared, "pure": False}
            if isinstance(part, functools.partial):  # read and joined in one task, on one worker
                joined = client.submit(read_and_join, part, **options)
            else:
                joined = client.submit(join_chunk, client.compute(part), **options)
            pending.append((joined, client.submit(outline, joined, pure=False) if held else None))
            if len(pending) >= window:
                yield finished(*pending.popleft(), held=held)
        while pending:
            yield finished(*pending.popleft(), held=held)
        if held is not None:
            held.wait()


def finished(joined: Future, outlined: Future | None, *, held: HeldText | None) -> ChunkResult:
    """A chunk's result once it is joined: its text brought here, or left with its worker as `held`."""
    if outlined is None or held is None:
        return joined.result()
    result, holder = outlined.result()
    if holder is None:
        return result
    return dataclasses.replace(result, payload=held.payload(joined, size=result.payload, holder=holder))


def engine_results(engine: str, *, scheduler: str | None, workers: int | None, **options) -> Iterator[ChunkResult]:
    """The chunk results of the chosen engine, in input order."""
    if engine == "dask":
        return dask_results(scheduler=scheduler, workers=workers, **options)
    return geopandas_results(**options)
