"""Study 2 (Neyshabur 2020): can beta-LASSO make a fully connected net learn convolutions?"""
from .experiment import *  # noqa: F401,F403  (the names the notebook uses: bl.Chapter, bl.train, ...)
from .nets import make_model, n_params  # noqa: F401
