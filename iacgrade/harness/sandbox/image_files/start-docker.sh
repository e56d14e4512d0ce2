#!/usr/bin/env bash
# Start a local Docker engine for the docker sandbox; safe to run again when one already answers.
#
# Installs Debian's docker.io when the engine binaries are missing, starts `dockerd` in the
# background when `docker info` does not answer, and waits for the socket. The engine runs with
# --iptables=false: sandbox containers use network_mode=none, so no bridge NAT rules are needed,
# and some hosts (CI VMs) cannot load the iptables modules.
set -euo pipefail

LOG_FILE="${DOCKERD_LOG:-/var/log/iacgrade-dockerd.log}"
WAIT_SECONDS="${DOCKERD_WAIT_SECONDS:-60}"

die() {
    echo "start-docker: $*" >&2
    exit 1
}

engine_answers() {
    timeout 10 docker info >/dev/null 2>&1
}

install_engine() {
    [[ "$(id -u)" -eq 0 ]] || die "docker/dockerd missing and not root: install docker.io (apt-get install docker.io)"
    echo "start-docker: installing docker.io from Debian"
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -qq || die "apt-get update failed"
    timeout 900 apt-get install -y -qq --no-install-recommends docker.io >/dev/null \
        || die "apt-get install docker.io failed"
}

start_engine() {
    [[ "$(id -u)" -eq 0 ]] || die "the Docker engine is not running and starting dockerd needs root"
    mkdir -p "$(dirname "$LOG_FILE")"
    echo "start-docker: starting dockerd (log: $LOG_FILE)"
    # setsid detaches the engine from this script's process group, so it outlives the caller.
    setsid dockerd --iptables=false --ip-masq=false >>"$LOG_FILE" 2>&1 </dev/null &
}

wait_for_engine() {
    local waited=0
    until engine_answers; do
        if ((waited >= WAIT_SECONDS)); then
            echo "start-docker: last lines of $LOG_FILE:" >&2
            tail -n 20 "$LOG_FILE" >&2 || true
            die "the Docker engine did not answer within ${WAIT_SECONDS}s"
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

main() {
    if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
        install_engine
    fi
    if engine_answers; then
        echo "start-docker: engine already running"
        return 0
    fi
    start_engine
    wait_for_engine
    echo "start-docker: engine ready ($(docker version --format '{{.Server.Version}}'))"
}

main "$@"
