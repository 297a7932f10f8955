"""Study 1 (Zhang 2021), second half: weight sharing vs locality on MNIST and CIFAR-10, with FGSM."""
from .experiment import *  # noqa: F401,F403
