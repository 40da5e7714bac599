"""Imported once by the forkserver of ``ncdepth verify --workers N``: workers fork with the registry loaded."""

try:  # the forkserver only tolerates ImportError; a broken module must still fail in the worker, visibly
    from theorems import load_claims

    load_claims()
except Exception:  # noqa: BLE001
    pass
