"""What every layer shares: tasks, workspaces, synth outcomes, results, profiles, errors and atomic
writes. Imports nothing of the pipeline, the platforms or the sandboxes."""
