"""contexten: an operations console for autonomous CI/CD."""

__version__ = "0.10.0"
