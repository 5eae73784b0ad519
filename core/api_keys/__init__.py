"""Keys for scripts that call the REST API: issued once, stored only as a hash, revocable."""
