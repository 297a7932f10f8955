"""nblib: the library behind the executable book on weight sharing and locality."""

__version__ = "0.1.0"
