"""The error a chapter raises for a parameter it cannot run with (imports nothing, so every module can use it)."""


class ParameterError(ValueError):
    """A chapter parameter has a value that the chapter cannot run with."""
