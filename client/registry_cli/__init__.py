"""registry-cli: publish, inspect and resolve registry packages from a terminal or CI."""

__version__ = "0.1.0"
