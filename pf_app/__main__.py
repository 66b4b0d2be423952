import os

# Under an MPI launcher each rank is one process on one core: keep BLAS/OpenMP from
# oversubscribing the cores with threads (set before numpy is imported).
if any(int(os.environ.get(v, "1")) > 1 for v in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")):
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

if __name__ == "__main__":
    from pf_app.cli import main

    raise SystemExit(main())
