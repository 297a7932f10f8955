"""Study 3 (building on Ott et al. 2020): a converged CNN freed of weight sharing."""
from .experiment import *  # noqa: F401,F403
