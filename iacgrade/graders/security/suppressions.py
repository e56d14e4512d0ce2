"""Suppressions an answer writes for checkov, made inert before checkov reads it.

checkov honors a `checkov:skip=CKV_...` (or `bridgecrew:skip=`, `cortex:skip=`) anywhere on the
lines of a resource, and a CloudFormation resource's `Metadata: checkov: skip:` list, and offers
no option to turn either off. An answer must not decide which checks judge it (a model would
learn to write them), so the text checkov scans carries them renamed: same lines, same columns
before the marker, nothing checkov recognises. A finding is set aside only by the task's reviewer
(metadata.json) or the run's --ignore, never by the answer.
"""

from __future__ import annotations

import re

# checkov's own marker (checkov/common/comment/enum.py COMMENT_REGEX), matched more loosely.
_INLINE = re.compile(r"\b(checkov|bridgecrew|cortex)(\s*):(\s*)skip(\s*)=", re.IGNORECASE)
# A `checkov:` / `bridgecrew:` key of a template's Metadata (YAML) or `"checkov":` (JSON).
_YAML_KEY = re.compile(r"^(\s*-?\s*)(checkov|bridgecrew)(\s*):(?=\s*(#.*)?$)", re.IGNORECASE | re.MULTILINE)
_JSON_KEY = re.compile(r"\"(checkov|bridgecrew)\"(\s*):", re.IGNORECASE)
INERT = "not-honored"


def without_suppressions(text: str) -> str:
    """`text` with every checkov suppression renamed so that checkov does not honor it."""
    text = _INLINE.sub(lambda m: f"{m[1]}-{INERT}{m[2]}:{m[3]}skip{m[4]}=", text)
    text = _YAML_KEY.sub(lambda m: f"{m[1]}{m[2]}-{INERT}{m[3]}:", text)
    return _JSON_KEY.sub(lambda m: f'"{m[1]}-{INERT}"{m[2]}:', text)
