"""The wheel, as a user gets it: built from the checkout, installed with its inspect extra into a
clean venv (dependencies from the package index), then run from outside the source tree. About two
minutes: the install unpacks the AWS provider (~500 MB), bytecode left uncompiled."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import iacgrade
from iacgrade.graders.security.scan import checkov_command
from iacgrade.harness.sandbox import image
from tests.paths import REPO, TASKS

pytestmark = pytest.mark.wheel

HCL_TASK = TASKS / "tf-hcl-logs-bucket"
BUILD_TIMEOUT = 300
INSTALL_TIMEOUT = 900


def call(command: list[str], timeout: float, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{command[:4]} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def source_copy(target: Path) -> Path:
    """The checkout's files as git sees them (tracked or new, never ignored), so no stale build/
    folder or local cache reaches the wheel."""
    listed = call(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], 60, REPO)
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name, follow_symlinks=False)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv with the wheel installed; its bin folder."""
    root = tmp_path_factory.mktemp("wheel")
    # PYTHONPATH pointing at a checkout would make pip take iacgrade as installed already.
    env = clean_env(root)
    source = source_copy(root / "src")
    call(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-w", str(root / "dist")],
        BUILD_TIMEOUT,
        root,
        env,
    )
    wheels = list((root / "dist").glob("iacgrade-*.whl"))
    assert len(wheels) == 1, wheels
    call([sys.executable, "-m", "venv", str(root / "venv")], 120, root, env)
    bin_dir = root / "venv" / "bin"
    # Compiling ~500 MB of provider bindings to bytecode would triple the install time. With the
    # inspect extra: its scorer is tested here, in a venv of its own (inspect_ai's s3fs pins an
    # older botocore than the development venv's toolchain).
    call(
        [str(bin_dir / "pip"), "install", "--quiet", "--no-compile", f"{wheels[0]}[inspect]"],
        INSTALL_TIMEOUT,
        root,
        env,
    )
    assert (bin_dir / "iacgrade").is_file(), "the wheel installed no iacgrade command"
    return bin_dir


def clean_env(root: Path) -> dict[str, str]:
    """The environment a user's shell gives: no source tree on the path, a cache of its own, and
    the checkov the tests use (installing checkov is `doctor --fix`'s business, tested apart)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["IACGRADE_CACHE"] = str(root / "cache")
    env["IACGRADE_CHECKOV"] = checkov_command()[0]
    return env


def test_the_installed_package_grades_an_example_task_as_the_checkout_does(
    installed: Path, tmp_path: Path
) -> None:
    env = clean_env(tmp_path)
    out = tmp_path / "out"
    call(
        [str(installed / "iacgrade"), "grade", str(HCL_TASK), "--out", str(out), "--sandbox", "local"],
        300,
        tmp_path,
        env,
    )
    from_wheel = iacgrade.TaskResult.model_validate_json((out / "result.json").read_text())
    from_checkout = iacgrade.grade(HCL_TASK, sandbox="local", cache_dir=tmp_path / "checkout-cache")
    assert from_wheel.status is iacgrade.TaskStatus.GRADED, from_wheel.reason
    assert from_wheel.score == from_checkout.score
    assert [f.rule_id for f in from_wheel.failures] == [f.rule_id for f in from_checkout.failures]
    assert (out / "analysis.md").is_file()


def test_the_wheel_ships_every_file_of_the_package(installed: Path) -> None:
    # A data file left out of [tool.setuptools.package-data] fails only once installed.
    (wheel,) = (installed.parent.parent / "dist").glob("iacgrade-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    listed = call(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "iacgrade"], 60, REPO
    )
    package_files = {name for name in listed.split("\0") if name and (REPO / name).is_file()}
    assert package_files - shipped == set()
    assert f"iacgrade-{iacgrade.__version__}.dist-info/licenses/LICENSE" in shipped


def test_the_installed_api_loads_from_site_packages_with_its_image_files(
    installed: Path, tmp_path: Path
) -> None:
    probe = (
        "import json, iacgrade\n"
        "from iacgrade.harness import doctor\n"
        "from iacgrade.harness.sandbox import image\n"
        "names = [*image.CONTEXT_FILES, 'build-base-image.sh', 'start-docker.sh']\n"
        "print(json.dumps({'file': iacgrade.__file__, 'version': iacgrade.__version__,\n"
        "  'rules': len(iacgrade.rules()), 'image_files': str(image.IMAGE_FILES),\n"
        "  'present': [n for n in names if (image.IMAGE_FILES / n).is_file()],\n"
        "  'worker': image.WORKER_PATH.is_file(), 'requirements': image.REQUIREMENTS.read_text(),\n"
        "  'fix_image': doctor.FIX_IMAGE}))\n"
    )
    facts = json.loads(call([str(installed / "python"), "-c", probe], 120, tmp_path, clean_env(tmp_path)))
    site = str(installed.parent / "lib")
    assert facts["file"].startswith(site), facts["file"]
    assert facts["image_files"].startswith(site)
    assert facts["present"] == [*image.CONTEXT_FILES, "build-base-image.sh", "start-docker.sh"]
    assert facts["worker"] is True
    assert facts["requirements"] == image.REQUIREMENTS.read_text()
    assert facts["version"] == iacgrade.__version__
    assert facts["rules"] == len(iacgrade.rules())
    # doctor names the commands an installed iacgrade has, not the repository's make targets.
    assert facts["fix_image"] == "iacgrade image build"


def test_ray_is_an_extra_the_plain_install_lacks(installed: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [
            str(installed / "iacgrade"),
            "run",
            str(HCL_TASK),
            "--out",
            str(tmp_path / "run"),
            "--executor",
            "ray",
        ],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "pip install 'iacgrade[ray]'" in done.stderr
    assert not list((installed.parent / "lib").glob("python3*/site-packages/ray"))


# Scores samples with the installed inspect_ai scorer, for real, on TaskStates built here (a whole
# eval would call a model; inspect_ai's mock model counts tokens with an encoding it downloads).
SCORER_PROBE = """
import asyncio, json, sys
from pathlib import Path

from inspect_ai.model import ModelName, ModelOutput
from inspect_ai.scorer import Target
from inspect_ai.solver import TaskState

from iacgrade.integrations.inspect_ai import iacgrade_scorer

task_dir = Path(sys.argv[1])
read = lambda name: (task_dir / name).read_text()
score = iacgrade_scorer(sandbox="local", cache=False)


def scored(sample_id, answer, metadata, reference=""):
    state = TaskState(
        model=ModelName("mockllm/model"), sample_id=sample_id, epoch=1, input=read("PROMPT.md"),
        messages=[], target=Target(reference), output=ModelOutput.from_content("mockllm/model", answer),
        metadata=metadata,
    )
    result = asyncio.run(score(state, Target(reference)))
    return {"value": result.value, "metadata": result.metadata, "explanation": result.explanation}


answer = read("MODEL_RESPONSE.md")
print(json.dumps({
    "by_task_dir": scored("by-dir", answer, {"task_dir": str(task_dir)}),
    "by_sample": scored(7, answer, json.loads(read("metadata.json")), read("IDEAL_RESPONSE.md")),
    "no_code": scored("refusal", "I cannot help with that.", {"task_dir": str(task_dir)}),
}))
"""


def test_the_inspect_ai_scorer_scores_a_sample_as_iacgrade_grades_it(installed: Path, tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(SCORER_PROBE)
    command = [str(installed / "python"), str(probe), str(HCL_TASK)]
    got = json.loads(call(command, 300, tmp_path, clean_env(tmp_path)))
    expected = iacgrade.grade(HCL_TASK, sandbox="local", cache_dir=tmp_path / "checkout-cache")
    assert expected.score is not None
    failures = [f.rule_id for f in expected.failures]
    # The task named by the sample's metadata, or the sample itself (input, target, metadata).
    for way in ("by_task_dir", "by_sample"):
        assert got[way]["value"] == expected.score.value, way
        assert [f["rule_id"] for f in got[way]["metadata"]["failures"]] == failures, way
        assert got[way]["metadata"]["status"] == "graded"
    # An answer with no code is wrong, not ungradable: 0, and why.
    assert got["no_code"]["value"] == 0.0
    assert got["no_code"]["metadata"]["status"] == "invalid"
    assert "no answer" in got["no_code"]["explanation"]
