"""Signing in to the REST API: access and refresh tokens (JWT), rotation and revocation."""
