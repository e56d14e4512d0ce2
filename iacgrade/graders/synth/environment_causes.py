"""Synth stops the sandbox causes, not the answer: the classes of ENV001.

The sandbox has no AWS account and no network (iacgrade/harness/platforms/cdktf_python/worker/worker.py
NO_NETWORK_ENV
gives boto3 plainly fake keys, and `pip` refuses downloads). An app that needs either at synth time stops
there, in every sandbox; so does an app that reads a build output (a Lambda zip, a layer folder)
that a step of the task's own files creates and the snapshot does not hold. Those stops say what
the answer needs from its environment, not that its code is wrong: SYN001 leaves them to ENV001.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass

from iacgrade.graders.constraints import load
from iacgrade.harness.core.synth import SynthResult, SynthStatus

# What the sandbox's own `pip` prints (iacgrade/harness/sandbox/offline_bin/pip).
PIP_REFUSAL = "pip: package downloads are not available in the sandbox"


@dataclass(frozen=True)
class EnvCause:
    kind: (
        str  # aws-credentials | aws-fake-credentials | aws-network | network | pip | build-output | toolchain
    )
    title: str
    needs: str  # what the answer needs at synth time, in the words of the message
    # The build output the snapshot lacks and the step that creates it (kind "build-output").
    path: str = ""
    step: str = ""


# botocore raises these before or instead of a request: no usable credentials, profile or region.
_AWS_SETUP = frozenset(
    {
        "NoCredentialsError",
        "PartialCredentialsError",
        "CredentialRetrievalError",
        "ProfileNotFound",
        "ConfigNotFound",
        "NoRegionError",
        "UnauthorizedSSOTokenError",
        "TokenRetrievalError",
        "SSOTokenLoadError",
        "NoAuthTokenError",
    }
)
# ... and these when the request cannot reach the endpoint (HTTPClientError and its kin).
_AWS_NETWORK = frozenset(
    {
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionClosedError",
        "ConnectionError",
        "ProxyConnectionError",
        "HTTPClientError",
        "SSLError",
    }
)
# Error codes AWS answers fake keys with: the request got through, the credentials are not real.
FAKE_CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "AuthFailure",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidSignatureException",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidToken",
    }
)
_CLIENT_ERROR_CODE = re.compile(r"An error occurred \((?P<code>[\w.]+)\) when calling")
# Python's and the common HTTP libraries' errors for a host that cannot be resolved or reached.
_NETWORK_TYPES = frozenset(
    {
        "socket.gaierror",
        "socket.herror",
        "ConnectionRefusedError",
        "ConnectionResetError",
        "ConnectionAbortedError",
        "urllib.error.URLError",
        "http.client.RemoteDisconnected",
        "requests.exceptions.ConnectionError",
        "requests.exceptions.ConnectTimeout",
        "urllib3.exceptions.NewConnectionError",
        "urllib3.exceptions.MaxRetryError",
        "urllib3.exceptions.NameResolutionError",
    }
)
_NETWORK_MESSAGE = re.compile(
    r"Temporary failure in name resolution|Name or service not known|Network is unreachable"
    r"|No address associated with hostname|nodename nor servname provided"
)
# `Command '['pip', 'install', ...]' returned non-zero exit status 1.` and the shell-string form.
_COMMAND = re.compile(r"Command '(?P<command>.+)' returned non-zero exit status", re.DOTALL)
_PIP_WORD = re.compile(r"(?:^|[\s'\"/\[,])(?:pip(?:3(?:\.\d+)?)?)(?:['\"\s,\]]|$)")
_MISSING_PIP = re.compile(r"No such file or directory: '(?:[^']*/)?pip(?:3(?:\.\d+)?)?'")
# A file the app could not read: Python's own error, or the jsii kernel's ENOENT.
_PY_MISSING = re.compile(r"No such file or directory: '(?P<path>[^']+)'")
_NODE_MISSING = re.compile(r"ENOENT: no such file or directory, \w+ '(?P<path>[^']+)'")
# Words of a step that makes a file rather than reads it.
_BUILD_WORD = re.compile(
    r"(?<![.\w])zip\b|\b(?:pip3? install|npm (?:run|ci|install)|yarn|make|build|built|builds"
    r"|package[ds]?|packaging|bundle[ds]?|make_archive|zipfile|docker build|compile[ds]?)\b",
    re.IGNORECASE,
)
# Texts where a build step is written down: project files that are not the app's Python code.
_STEP_FILES = (
    ".md",
    ".sh",
    ".txt",
    ".json",
    ".toml",
    ".cfg",
    ".yml",
    ".yaml",
    ".mk",
    "Makefile",
    "Dockerfile",
)
# A .py file that is a build script the app does not import.
_BUILD_SCRIPT = re.compile(r"(?:^|/)(?:scripts?/[^/]+|build[^/]*|package[^/]*|bundle[^/]*)\.py$")
_STEP_WINDOW = 2  # lines either side of the name where the build word may stand


def environment_cause(
    synth: SynthResult | None, files: Mapping[str, str], docs: Mapping[str, str] | None = None
) -> EnvCause | None:
    """The environment class of a synth that stopped, or None when the answer's code is at fault.

    `files` are the workspace's files; `docs` the answer's own prose (its markdown), where a
    build step the sandbox never runs may be written down."""
    if synth is None or synth.status is not SynthStatus.ERROR:
        return None
    etype, message = synth.error_type, synth.message
    short = etype.rsplit(".", 1)[-1]
    if etype.startswith(("botocore.", "boto3.")):
        return _aws_cause(short, message)
    if etype in _NETWORK_TYPES or (
        short in ("OSError", "ConnectionError") and _NETWORK_MESSAGE.search(message)
    ):
        return EnvCause("network", "Network access at synthesis", "network access")
    package = _published_provider(short, message)
    if package:
        return EnvCause(
            "toolchain", "Provider package not in the sandbox", f"the prebuilt provider package `{package}`"
        )
    missing = missing_path(synth)
    # A pip the app ran without checking its status shows in the output; what stops the app
    # then is the folder pip was to fill.
    if _pip_failed(etype, message, synth.traceback) or (missing and PIP_REFUSAL in synth.output_tail):
        return EnvCause("pip", "Package download at synthesis", "a `pip install` (network access)")
    return _build_output(missing, synth, files, docs or {}) if missing else None


# `No module named 'cdktf_cdktf_provider_kubernetes'`: the whole package is absent, not a module of it.
_NO_PROVIDER = re.compile(r"No module named '(?P<root>cdktf_cdktf_provider_(?P<name>\w+))'")


def _published_provider(short: str, message: str) -> str:
    """The PyPI name of a prebuilt provider the app imports and the toolchain does not carry
    (iacgrade/graders/aws/data/prebuilt_providers.json), or ""; a module that was never published is the
    answer's mistake."""
    match = _NO_PROVIDER.search(message) if short == "ModuleNotFoundError" else None
    if match is None or match.group("name") not in load("prebuilt_providers.json")["providers"]:
        return ""
    return match.group("root").replace("_", "-")


def _aws_cause(short: str, message: str) -> EnvCause | None:
    if short in _AWS_SETUP:
        return EnvCause("aws-credentials", "AWS credentials needed at synthesis", "AWS credentials")
    if short in _AWS_NETWORK:
        return EnvCause(
            "aws-network", "AWS API called at synthesis", "AWS API access (network and credentials)"
        )
    match = _CLIENT_ERROR_CODE.search(message)
    if short == "ClientError" and match and match.group("code") in FAKE_CREDENTIAL_CODES:
        return EnvCause(
            "aws-fake-credentials", "AWS API called at synthesis", "AWS API access with real credentials"
        )
    return None  # a call the SDK itself refuses (bad parameters): the answer's mistake


def _pip_failed(etype: str, message: str, traceback: str) -> bool:
    if PIP_REFUSAL in message or PIP_REFUSAL in traceback:
        return True
    short = etype.rsplit(".", 1)[-1]
    if short == "CalledProcessError":
        match = _COMMAND.search(message)
        return bool(match and _PIP_WORD.search(match.group("command")))
    # `pip` absent from PATH: a sandbox without pip at all.
    return short == "FileNotFoundError" and bool(_MISSING_PIP.search(message))


def missing_path(synth: SynthResult) -> str | None:
    """The workspace path of the file whose absence stopped the synth, if that is what stopped it."""
    short = synth.error_type.rsplit(".", 1)[-1]
    pattern = {
        "FileNotFoundError": _PY_MISSING,
        "RuntimeError": _NODE_MISSING,
        "JSIIError": _NODE_MISSING,
    }.get(short)
    match = pattern.search(synth.message) if pattern else None
    if match is None:
        return None
    frame = synth.frame
    for blocker in synth.blockers:
        # The repair rounds resolved the same stop's path against the workspace already.
        if (
            blocker.kind == "missing-file"
            and frame
            and (blocker.file, blocker.line) == (frame.file, frame.line)
        ):
            return blocker.target
    path = posixpath.normpath(match.group("path"))
    # The worker names workspace files relative to it; an absolute path is outside the project.
    return None if path.startswith(("/", "..")) else path


def _build_output(
    path: str, synth: SynthResult, files: Mapping[str, str], docs: Mapping[str, str]
) -> EnvCause | None:
    step = build_step(path, files, docs, synth.frame.file if synth.frame else "")
    if step is None:
        return None  # nothing in the task makes it: the answer forgot it
    return EnvCause(
        "build-output",
        "Build output missing from the snapshot",
        "a build step run before synthesis",
        path,
        step,
    )


def build_step(path: str, files: Mapping[str, str], docs: Mapping[str, str], reader: str = "") -> str | None:
    """Where a file of the task, or the answer's prose, writes a step that makes `path`:
    "<file>:<line>: <text>", or None. The file that reads `path` (`reader`) does not count,
    nor does the app's Python code: only build scripts, documents and configuration."""
    names = _names(path)
    texts = {p: t for p, t in files.items() if p != reader and _is_step_file(p)}
    texts.update({p: prose(t) for p, t in docs.items()})
    for where, text in sorted(texts.items()):
        rows = text.splitlines()
        for i, row in enumerate(rows):
            if not any(_names_it(row, name) for name in names):
                continue
            window = rows[max(i - _STEP_WINDOW, 0) : i + _STEP_WINDOW + 1]
            if any(_BUILD_WORD.search(r) for r in window):
                return f"{where}:{i + 1}: {row.strip()[:160]}"
    return None


_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+-]*)")


def prose(markdown: str) -> str:
    """The markdown with its Python blocks blanked (line numbers kept): the app's code is not a
    build step, while shell, Makefile and JSON blocks and the prose may be."""
    out: list[str] = []
    fence, python = "", False
    for row in markdown.splitlines():
        match = _FENCE.match(row)
        if match and not fence:
            fence, python = match.group(1), match.group(2).lower() in ("python", "py", "python3")
            out.append("" if python else row)
        elif match and row.strip().startswith(fence[0] * len(fence)) and not match.group(2):
            out.append("" if python else row)
            fence, python = "", False
        else:
            out.append("" if fence and python else row)
    return "\n".join(out)


def _names(path: str) -> list[str]:
    # The path as written, and its last part when that is specific enough not to match prose
    # ("lambda_function.zip", "layer-build", not "lambda" or "python").
    base = posixpath.basename(path)
    names = [path]
    if base != path and re.search(r"[._-]", base):
        names.append(base)
    return names


def _names_it(row: str, name: str) -> bool:
    return re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", row) is not None


def _is_step_file(path: str) -> bool:
    if path.endswith(".py"):
        return _BUILD_SCRIPT.search(path) is not None
    return path.endswith(_STEP_FILES) or posixpath.basename(path) in ("Makefile", "Dockerfile")
