"""People: accounts, passwords and roles."""
