"""The command-line door (`python -m cli …`), the launcher behind `make run`, and the demo's seed."""
