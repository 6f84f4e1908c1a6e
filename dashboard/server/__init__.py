"""Serving: the HTTP routes as one Blueprint, the shared export cache and the gunicorn configuration."""
