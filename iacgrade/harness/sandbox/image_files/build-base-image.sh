#!/usr/bin/env bash
# Build the sandbox's Debian base image locally, for hosts that cannot pull from a registry.
#
# debootstrap writes a minimal bookworm root (with Python 3.11, python3-venv for an offline pip,
# CA certificates and tini) into a temporary folder, which `docker import` turns into an image.
# Does nothing when the image already exists. Usage: build-base-image.sh [IMAGE_TAG]
set -euo pipefail

IMAGE="${1:-${BASE_IMAGE:-iacgrade-base:bookworm}}"
SUITE="${DEBIAN_SUITE:-bookworm}"
PACKAGES="python3,python3-venv,ca-certificates,tini"
ROOTFS=""

die() {
    echo "build-base-image: $*" >&2
    exit 1
}

cleanup() {
    if [[ -n "$ROOTFS" && -d "$ROOTFS" ]]; then
        # debootstrap may leave /proc or /sys mounted in the root after a failure.
        for mount_point in proc sys dev/pts dev; do
            umount -l "$ROOTFS/$mount_point" 2>/dev/null || true
        done
        rm -rf --one-file-system "$ROOTFS"
    fi
}
trap cleanup EXIT

# The Debian mirror this machine's apt already uses (deb822 or one-line format), unless given.
debian_mirror() {
    if [[ -n "${DEBIAN_MIRROR:-}" ]]; then
        echo "$DEBIAN_MIRROR"
        return
    fi
    local found
    found="$(
        cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
            | grep -Eo '(https?://[^ ]+/debian)/?( |$)' | grep -v -- '-security' | head -n 1 | tr -d ' ' || true
    )"
    echo "${found:-http://deb.debian.org/debian}"
}

ensure_debootstrap() {
    command -v debootstrap >/dev/null 2>&1 && return 0
    [[ "$(id -u)" -eq 0 ]] || die "debootstrap is missing and installing it needs root"
    echo "build-base-image: installing debootstrap"
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -qq || die "apt-get update failed"
    timeout 600 apt-get install -y -qq --no-install-recommends debootstrap >/dev/null \
        || die "apt-get install debootstrap failed"
}

# Documentation, man pages, locales and apt lists are not needed to run the worker.
slim_rootfs() {
    rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb \
        "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* \
        "$ROOTFS"/usr/share/locale/* "$ROOTFS"/var/log/*.log "$ROOTFS"/tmp/*
}

main() {
    command -v docker >/dev/null 2>&1 || die "docker is missing: run scripts/start-docker.sh first"
    timeout 20 docker info >/dev/null 2>&1 || die "the Docker engine does not answer: run scripts/start-docker.sh"
    if docker image inspect "$IMAGE" >/dev/null 2>&1; then
        echo "build-base-image: $IMAGE already present"
        return 0
    fi
    [[ "$(id -u)" -eq 0 ]] || die "debootstrap needs root"
    ensure_debootstrap

    local mirror
    mirror="$(debian_mirror)"
    ROOTFS="$(mktemp -d /var/tmp/iacgrade-rootfs.XXXXXX)"
    echo "build-base-image: debootstrap $SUITE from $mirror into $ROOTFS"
    timeout 1800 debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS" "$mirror" \
        >"$ROOTFS.log" 2>&1 || {
        tail -n 30 "$ROOTFS.log" >&2
        die "debootstrap failed (log: $ROOTFS.log)"
    }
    slim_rootfs

    echo "build-base-image: importing as $IMAGE"
    tar --numeric-owner -C "$ROOTFS" -c . | timeout 600 docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["/bin/bash"]' \
        --message "debootstrap --variant=minbase $SUITE ($PACKAGES)" \
        - "$IMAGE" >/dev/null
    rm -f "$ROOTFS.log"
    echo "build-base-image: built $IMAGE ($(docker image inspect --format '{{.Size}}' "$IMAGE") bytes)"
}

main "$@"
