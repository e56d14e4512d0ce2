"""Renderers: the Markdown failure analysis and the files a run leaves behind."""

from iacgrade.reports.markdown import render_analysis
from iacgrade.reports.writers import results_row, write_results_csv, write_task_outputs

__all__ = ["render_analysis", "results_row", "write_results_csv", "write_task_outputs"]
