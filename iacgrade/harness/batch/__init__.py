"""Grading many tasks: a thread pool on one machine (runner) or a Ray cluster (ray)."""
