"""Fill the jsii package cache at image build time so containers start without extracting.

Importing the packages makes the jsii kernel extract each bundled tarball into the cache; the
kernel then builds a runtime index for each entry in a background thread. Keep the kernel alive
until every entry has its index, or the image would ship a cache that loads the slow way.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

MARKER = ".jsii-runtime-package-cache"
INDEX_MANIFEST = ".jsii.runtime.v1.json"
WAIT_SECONDS = 300


def cache_entries(cache_root: Path) -> list[Path]:
    """Entry folders: <root>/<name>/<version>/<digest>, the name possibly npm-scoped (@scope/x)."""
    markers = [*cache_root.glob(f"*/*/*/{MARKER}"), *cache_root.glob(f"@*/*/*/*/{MARKER}")]
    return [marker.parent for marker in markers]


def main(cache_root: Path) -> int:
    started = time.monotonic()
    import cdktf  # noqa: F401
    import cdktf_cdktf_provider_aws  # noqa: F401
    import cdktf_cdktf_provider_random  # noqa: F401
    import constructs  # noqa: F401

    print(f"warm_jsii: loaded in {time.monotonic() - started:.1f}s", flush=True)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        entries = cache_entries(cache_root)
        missing = [entry for entry in entries if not (entry / INDEX_MANIFEST).is_file()]
        if entries and not missing:
            break
        if time.monotonic() > deadline:
            print(
                f"warm_jsii: no runtime index after {WAIT_SECONDS}s for {missing or cache_root}",
                file=sys.stderr,
            )
            return 1
        time.sleep(1)
    print(f"warm_jsii: {len(entries)} cache entries indexed in {time.monotonic() - started:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
