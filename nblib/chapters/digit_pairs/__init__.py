"""Study 4 (EE-559 mini-project, 2019): weight sharing and an auxiliary loss on MNIST digit pairs."""
from .experiment import *  # noqa: F401,F403  (the names the notebook uses: dp.Chapter, dp.train, ...)
