"""The two engines that join the chunks: in this process (geopandas) or on a Dask cluster, in input order."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import multiprocessing
import os
import tempfile
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
from geodata.join.output import Tally
from geodata.join.units import Units

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

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


@dataclasses.dataclass(frozen=True)
class Spooled:
    """A chunk's CSV text left by a worker in a file on this machine, in place of the bytes themselves."""

    path: str


def read_and_join(
    read: Callable[[], pd.DataFrame | pa.Table], *, spool: str | None = None, **options: Any
) -> ChunkResult:
    """One dask task: read a partition and join it, so the rows never travel between workers."""
    return join_spooled(read(), spool=spool, **options)


def join_spooled(chunk: pd.DataFrame | pa.Table, *, spool: str | None = None, **options: Any) -> ChunkResult:
    """join_chunk on a worker; with a `spool` folder its CSV text goes to a file there, not back over the network."""
    result = join_chunk(chunk, **options)
    if spool is None or not isinstance(result.payload, bytes | pa.Buffer):
        return result
    descriptor, path = tempfile.mkstemp(dir=spool, suffix=".csv")
    with open(descriptor, "wb") as file:
        file.write(result.payload)
    return dataclasses.replace(result, payload=Spooled(path))


#: Memory-backed, so spooled chunks are not written to disk twice; they live there only while in flight.
SHARED_MEMORY = "/dev/shm"


def spool_folder() -> tempfile.TemporaryDirectory:
    """A folder for the chunks in flight from the local workers: in shared memory where there is some."""
    where = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) and os.access(SHARED_MEMORY, os.W_OK) else None
    return tempfile.TemporaryDirectory(prefix="geodata-join-", dir=where, ignore_cleanup_errors=True)


def unspooled(result: ChunkResult) -> ChunkResult:
    """The result with a spooled payload read back (mapped, not copied) and its file removed."""
    if not isinstance(result.payload, Spooled):
        return result
    with pa.memory_map(result.payload.path) as mapped:
        payload = mapped.read_buffer()
    os.unlink(result.payload.path)
    return dataclasses.replace(result, payload=payload)


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

    The counties' grid is built here once and sent built to every worker. On a local cluster the
    workers leave each chunk's CSV text in a spool folder on this machine instead of sending it
    back through the scheduler's connections (pickled, sent, received: most of the client's work).
    """
    with contextlib.ExitStack() as stack:
        spool = None if scheduler is not None else stack.enter_context(spool_folder())  # removed after the cluster
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=1))
        built = pool.submit(lambda: units.grid)  # built once, here, while the workers start; not once per worker
        client = stack.enter_context(dask_client(scheduler=scheduler, workers=workers))
        built.result()
        shared = client.scatter(units, broadcast=True, hash=False)
        window = IN_FLIGHT * max(1, sum(client.nthreads().values()))
        pending: deque = deque()
        for part in dask_partitions(source, chunk_rows=chunk_rows, text=text):
            options = {"source": source, "level": level, "fmt": fmt, "check_only": tally.failed, "values": values}
            options |= {"units": shared, "spool": spool, "pure": False}
            if isinstance(part, functools.partial):  # read and joined in one task, on one worker
                pending.append(client.submit(read_and_join, part, **options))
            else:
                pending.append(client.submit(join_spooled, client.compute(part), **options))
            if len(pending) >= window:
                yield unspooled(pending.popleft().result())
        while pending:
            yield unspooled(pending.popleft().result())


def engine_results(engine: str, *, scheduler: str | None, workers: int | None, **options) -> Iterator[ChunkResult]:
    """The chunk results of the chosen engine, in input order."""
    if engine == "dask":
        return dask_results(scheduler=scheduler, workers=workers, **options)
    return geopandas_results(**options)
