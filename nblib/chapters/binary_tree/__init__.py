"""Study 1 (Zhang 2021), first half: is weight sharing or locality harder to learn? (the binary tree)."""
from .experiment import *  # noqa: F401,F403  (the names the notebook uses: bt.TreeSweep, bt.train, ...)
from .experiment import hash_int, rng  # noqa: F401
