"""Task loading: both layouts, and a clear `invalid` reason for every broken task."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from iacgrade.harness.core.errors import TaskLoadError
from iacgrade.harness.core.tasks import discover, load_task
from tests.paths import DEV_CORPUS

CORPUS = DEV_CORPUS
ANSWER = "## File: lib/tap_stack.py\n\n```python\nprint('hi')\n```\n"


def _task(tmp_path: Path, **files: str) -> Path:
    root = tmp_path / "t1"
    root.mkdir()
    for name, text in files.items():
        path = root / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_project_layout_with_shared_files(tmp_path: Path) -> None:
    root = _task(
        tmp_path,
        **{
            "MODEL_RESPONSE.md": ANSWER,
            "IDEAL_RESPONSE.md": ANSWER,
            "PROMPT.md": "p",
            "lib__lambda__h.py": "x=1",
        },
    )
    task = load_task(root)
    assert task.layout == "project" and task.has_reference
    assert task.shared_files == {"lib/lambda/h.py": "x=1"}


def test_ideal_tree_wins_and_is_read_as_files(tmp_path: Path) -> None:
    root = _task(tmp_path, **{"MODEL_RESPONSE.md": ANSWER, "ideal__lib__tap_stack.py": "class A: pass\n"})
    task = load_task(root)
    assert task.ideal_tree == {"lib/tap_stack.py": "class A: pass\n"}
    assert "ideal/lib/tap_stack.py" not in task.shared_files


def test_archived_layout(tmp_path: Path) -> None:
    root = _task(tmp_path, **{"lib__MODEL_RESPONSE.md": ANSWER, "lib__PROMPT.md": "p", "metadata.json": "{}"})
    task = load_task(root)
    assert task.layout == "archived" and task.prompt == "p" and not task.has_reference


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"PROMPT.md": "p"}, "MODEL_RESPONSE.md is missing"),
        ({"MODEL_RESPONSE.md": ANSWER, "metadata.json": "{not json"}, "metadata.json is not valid JSON"),
        ({"MODEL_RESPONSE.md": ANSWER, "metadata.json": "[1]"}, "must hold a JSON object"),
        ({"MODEL_RESPONSE.md": "Insert here the Model Response that failed"}, "holds no answer"),
    ],
)
def test_broken_tasks_raise_with_a_reason(tmp_path: Path, files: dict[str, str], reason: str) -> None:
    with pytest.raises(TaskLoadError, match=reason):
        load_task(_task(tmp_path, **files))


def test_non_utf8_answer_is_a_clear_error(tmp_path: Path) -> None:
    root = _task(tmp_path, **{"PROMPT.md": "p"})
    (root / "MODEL_RESPONSE.md").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(TaskLoadError, match="not UTF-8"):
        load_task(root)


def test_a_written_analysis_with_a_stray_byte_still_loads(tmp_path: Path) -> None:
    root = _task(tmp_path, **{"PROMPT.md": "p", "MODEL_RESPONSE.md": "```yaml\nResources: {}\n```\n"})
    (root / "MODEL_FAILURES.md").write_bytes(b"The model\x92s template is cut off.")
    assert load_task(root).written_analysis == "The model\ufffds template is cut off."


def test_discover_expands_a_directory_of_tasks(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "MODEL_RESPONSE.md").write_text(ANSWER)
    (tmp_path / "notes").mkdir()
    assert [p.name for p in discover([tmp_path])] == ["a", "b"]


@pytest.mark.corpus
def test_every_corpus_task_loads_or_says_why() -> None:
    tasks = discover([CORPUS])
    assert len(tasks) == 35
    invalid = {}
    for path in tasks:
        try:
            load_task(path)
        except TaskLoadError as exc:
            invalid[path.name] = str(exc)
    # Pr7826's MODEL_RESPONSE.md is the archive's placeholder text, not an answer.
    assert set(invalid) == {"Pr7826"}


def test_a_refused_unsafe_path_is_noted_on_the_workspace(tmp_path: Path) -> None:
    from iacgrade.harness.pipeline.materialise import build_workspace
    from iacgrade.harness.platforms.registry import platform_for

    task_dir = tmp_path / "t"
    task_dir.mkdir()
    (task_dir / "PROMPT.md").write_text("Build a bucket.")
    (task_dir / "MODEL_RESPONSE.md").write_text(
        "## lib/tap_stack.py\n```python\nfrom cdktf import TerraformStack\n\n"
        "class TapStack(TerraformStack):\n    pass\n```\n\n"
        "## File: ../../etc/passwd\n```python\nprint(1)\n```\n"
    )
    task = load_task(task_dir)
    ws = build_workspace(task, "model", platform_for(task.metadata))
    assert not any("passwd" in p for p in ws.files)
    assert any("was not written: unsafe path: ../../etc/passwd" in n for n in ws.notes)


def test_archives_in_the_reference_tree_are_carried_as_bytes(tmp_path: Path) -> None:
    root = _task(tmp_path, **{"MODEL_RESPONSE.md": ANSWER, "ideal__lib__tap_stack.py": "x = 1\n"})
    (root / "ideal" / "lib" / "fn.zip").write_bytes(b"PK\x03\x04\xff")
    (root / "ideal" / "lib" / "logo.png").write_bytes(b"\x89PNG")
    task = load_task(root)
    assert task.ideal_tree == {"lib/tap_stack.py": "x = 1\n"}
    assert list(task.ideal_archives) == ["lib/fn.zip"]
    assert base64.b64decode(task.ideal_archives["lib/fn.zip"]) == b"PK\x03\x04\xff"
