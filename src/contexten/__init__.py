"""contexten: an operations console for autonomous CI/CD."""

__version__ = "0.8.0"
