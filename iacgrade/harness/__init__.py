"""iacgrade's pipeline: tasks, extraction, workspaces, sandboxes, compare, score, batch runs."""

__version__ = "0.1.0"
