"""`results.csv` and `findings.csv` while a run goes: a row (or a task's rows) appended as each
task finishes, so the dashboard can be rebuilt before the run ends.

The run starts the files with the header and the rows of the tasks an earlier run finished,
then appends one task at a time with a single `write` on a file opened for appending. Each row
is one physical line (a line break inside a cell becomes a space while the run goes), so a reader
that drops an unterminated last line (`complete_lines`) never sees half a row. Every task
metadata column is in the header from the start, since the tasks still to come may have any of
them. At the end the run rewrites both files from every result (`write_results_csv`,
`write_findings_csv`): the final files are what they would be without this, task order and all.
"""

from __future__ import annotations

import csv
import io
import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from iacgrade.harness.core.atomic import write_text_atomic
from iacgrade.harness.core.results import TaskResult
from iacgrade.reports.writers import (
    BASE_COLUMNS,
    FINDINGS_COLUMNS,
    FINDINGS_CSV_NAME,
    METADATA_COLUMNS,
    RESULTS_CSV_NAME,
    findings_rows,
    results_row,
)

LIVE_RESULTS_COLUMNS = (*BASE_COLUMNS, *METADATA_COLUMNS)


class LiveTables:
    """The run's two tables, growing by one task at a time."""

    def __init__(self, run_dir: Path, finished: Iterable[TaskResult]) -> None:
        self.results_csv = run_dir / RESULTS_CSV_NAME
        self.findings_csv = run_dir / FINDINGS_CSV_NAME
        self._lock = threading.Lock()
        done = list(finished)
        # Replaced, not appended to: what an earlier run left is rebuilt from its results.
        write_text_atomic(
            self.results_csv, _lines(LIVE_RESULTS_COLUMNS, [results_row(r) for r in done], True)
        )
        rows = [row for r in done for row in findings_rows(r)]
        write_text_atomic(self.findings_csv, _lines(FINDINGS_COLUMNS, rows, True))

    def add(self, result: TaskResult) -> None:
        """Append `result`'s row to results.csv and its failures to findings.csv."""
        with self._lock:
            failures = findings_rows(result)
            if failures:
                _append(self.findings_csv, _lines(FINDINGS_COLUMNS, failures, False))
            # results.csv last: a task a reader sees there has its failures written already.
            _append(self.results_csv, _lines(LIVE_RESULTS_COLUMNS, [results_row(result)], False))


def complete_lines(text: str) -> str:
    """`text` without a last line the writer has not finished (no line break yet)."""
    return text if text.endswith("\n") or not text else text[: text.rfind("\n") + 1]


def _lines(columns: Sequence[str], rows: Iterable[dict[str, Any]], header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(columns)
    for row in rows:
        writer.writerow([_flat(row.get(c)) for c in columns])
    return buffer.getvalue()


def _flat(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(value.splitlines()) if "\n" in value or "\r" in value else value
    return value


def _append(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        # One write call per task: appends never interleave, and a reader sees a prefix.
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)
