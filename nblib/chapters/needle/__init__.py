"""Study 5 (d'Ascoli et al. 2019): a CNN released into its equivalent fully connected net."""
from .experiment import *  # noqa: F401,F403
