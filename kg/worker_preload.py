"""What the forkserver of the query workers loads once, so that no worker it forks builds it again for itself."""

from __future__ import annotations

import ctypes  # noqa: F401  (kg.sandbox.confine_network imports it on first use: in each worker, without this)

import kg.limits  # noqa: F401  (the pool, which imports the worker loop and the engines)
from kg.screen import screen

# The screen compiles its token pattern on first use (tens of milliseconds): here, once, rather than in every
# worker at its first ad-hoc query.
screen("ASK {}", "the forkserver's warm-up")
