"""Planners' uploaded layers: reading, validating and joining them, and the store every worker shares."""
