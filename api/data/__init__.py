"""Demo data shipped with the service (``demo.toml``)."""
