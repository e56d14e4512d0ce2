#!/bin/sh
# Start the synth worker. The jsii package cache baked into the image is read-only here, but
# jsii touches a marker file in each cache entry on every load; so unless the baked cache is
# writable, build a writable shadow of it in tmpfs (real marker files, symlinks to everything
# else) and point jsii at that. Costs a few milliseconds and no copying.
set -eu

BAKED="${JSII_RUNTIME_PACKAGE_CACHE_ROOT:-/opt/jsii-package-cache}"
SHADOW="${IACGRADE_JSII_SHADOW:-/tmp/jsii-package-cache}"
MARKER=".jsii-runtime-package-cache"

mkdir -p "${HOME:-/tmp/home}"

if [ -d "$BAKED" ] && [ ! -w "$BAKED" ]; then
    find "$BAKED" -maxdepth 5 -name "$MARKER" -type f | while read -r marker; do
        entry="${marker%/*}"
        target="$SHADOW${entry#"$BAKED"}"
        mkdir -p "$target"
        for item in "$entry"/* "$entry"/.[!.]*; do
            [ -e "$item" ] || continue
            [ "${item##*/}" = "$MARKER" ] && continue
            ln -s "$item" "$target/${item##*/}"
        done
        : >"$target/$MARKER"
    done
    export JSII_RUNTIME_PACKAGE_CACHE_ROOT="$SHADOW"
fi

exec python /opt/iacgrade/worker.py "$@"
