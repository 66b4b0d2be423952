"""Run independent tasks on MPI ranks, a local process pool, or in this process.

* ``mpi`` (under ``mpirun -n N``): mpi4py.futures.MPICommExecutor on COMM_WORLD; ranks 1..N-1 are
  workers and rank 0, besides dispatching and writing, computes tasks itself in a thread (the
  numba kernel releases the GIL), so N ranks give N workers.
* ``processes``: concurrent.futures.ProcessPoolExecutor (spawn) with ``workers`` processes.
* ``serial``: one after the other in this process (debugging, tests).

:func:`run_tasks` calls ``on_result(result)`` in the calling thread of rank 0 as tasks finish (in
completion order) and returns True there; on MPI worker ranks it returns False after the pool closes.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Executor, ThreadPoolExecutor, wait
from typing import Callable, Iterable

_RANK_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")


def launched_by_mpirun() -> bool:
    """True when the launcher's environment says there is more than one rank."""
    return any(int(os.environ.get(v, "1")) > 1 for v in _RANK_VARS)


def resolve_backend(backend: str) -> str:
    if backend != "auto":
        return backend
    return "mpi" if launched_by_mpirun() else "processes"


def run_tasks(fn: Callable, tasks: Iterable, on_result: Callable, backend: str = "auto",
              workers: int | None = None) -> bool:
    """Apply ``fn`` to every task with the chosen backend; see the module docstring."""
    tasks = list(tasks)
    backend = resolve_backend(backend)
    if backend == "serial":
        for t in tasks:
            on_result(fn(t))
        return True
    if backend == "mpi":
        from mpi4py import MPI
        from mpi4py.futures import MPICommExecutor

        comm = MPI.COMM_WORLD
        with MPICommExecutor(comm, root=0) as pool:
            if pool is None:
                return False
            with ThreadPoolExecutor(1) as local:
                _drive(fn, tasks, on_result, [(pool, comm.Get_size() - 1), (local, 1)])
        return True
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    n = workers or os.cpu_count() or 1
    n = max(1, min(n, len(tasks)))
    with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn")) as pool:
        _drive(fn, tasks, on_result, [(pool, n)])
    return True


def _drive(fn: Callable, tasks: list, on_result: Callable, pools: list[tuple[Executor, int]]) -> None:
    """Keep every pool at its capacity until the tasks run out; hand results over as they come."""
    queue = deque(tasks)
    running = {}  # future -> pool index
    load = [0] * len(pools)

    def fill():
        for k, (pool, capacity) in enumerate(pools):
            while queue and load[k] < capacity:
                running[pool.submit(fn, queue.popleft())] = k
                load[k] += 1

    fill()
    try:
        while running:
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in done:
                load[running.pop(fut)] -= 1
                on_result(fut.result())
            fill()
    except BaseException:
        for fut in running:
            fut.cancel()
        raise
