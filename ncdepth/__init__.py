"""ncdepth: machine verification of the claims of "The Implicit Bias of Depth: From Neural
Collapse to Softmax Codes" (ICML 2026).

The Python API (the same objects the command line uses)::

    from ncdepth import verify, claims
    [c.id for c in claims()]                     # every claim of the registry, in paper order
    results = verify(["T4.3"], K=[8], L=[3])     # list of ClaimResult
    r = results[0]
    r.verdict, r.scope.headline                  # Verdict.PASS, "proved for ... (symbolic); ..."
    [(c.name, c.verdict.value, c.cached) for c in r.checks]

See :func:`ncdepth.api.verify` for the options (levels, profile, seed, examples, budget_s,
workers, dask, split, cache, cache_dir, report).
"""

import time as _time

# When this process started using the project's code; the result cache refuses files modified later.
STARTED = _time.time()

__version__ = "0.1.0"
__all__ = ["verify", "claims", "STARTED", "__version__"]


def __getattr__(name):  # lazy: `import ncdepth.registry` must not load the registry of claims
    if name in ("verify", "claims"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'ncdepth' has no attribute {name!r}")
