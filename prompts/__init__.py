"""Summary styles as data: one TOML file per style. See worker/styles.py for the format."""
