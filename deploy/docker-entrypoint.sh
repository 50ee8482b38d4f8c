#!/bin/sh
# The image's entrypoint: one image, two processes.
#
#   content-node ARGS...     python -m content_node ARGS...; when PHASEDSEARCH_DISTRIBUTION_KEYS is
#                            set (a StatefulSet pod), this pod's key is the entry at its ordinal (the
#                            number after the last '-' of PHASEDSEARCH_POD_NAME, else the hostname),
#                            and its data lives in $PHASEDSEARCH_DATA_DIR/content-node-<key>
#                            (the node refuses to start if another content-node-* there holds data)
#   container ARGS...        python -m container ARGS...
#   assemble-app SRC DST     copy an application package mounted from a ConfigMap (SRC) into DST
#                            and link the image's models/ into it (Kubernetes init container)
#   healthcheck              probe whichever process runs as PID 1 (Docker HEALTHCHECK)
#   anything else            run as given (e.g. `phasedsearch`, `sh`)
set -eu

PHASEDSEARCH_HOME="${PHASEDSEARCH_HOME:-/opt/phasedsearch}"

die() {
    echo "phasedsearch-entrypoint: $*" >&2
    exit 64
}

content_node() {
    if [ -z "${PHASEDSEARCH_DISTRIBUTION_KEYS:-}" ]; then
        exec python -m content_node "$@"
    fi
    pod="${PHASEDSEARCH_POD_NAME:-$(hostname)}"
    ordinal="${pod##*-}"
    case "$ordinal" in
        ''|*[!0-9]*) die "cannot read a StatefulSet ordinal from pod name '$pod'" ;;
    esac
    key="$(printf '%s\n' "$PHASEDSEARCH_DISTRIBUTION_KEYS" | tr ',' '\n' | sed -n "$((ordinal + 1))p")"
    case "$key" in
        ''|*[!0-9]*) die "pod '$pod' has no distribution key: ordinal $ordinal, keys $PHASEDSEARCH_DISTRIBUTION_KEYS" ;;
    esac
    data_dir="${PHASEDSEARCH_DATA_DIR:-/var/lib/phasedsearch}/content-node-$key"
    mkdir -p "$data_dir"
    # the PVC is this pod's alone: another content-node-* there holding documents means a renumbering
    exec python -m content_node "$@" --distribution-key "$key" --data-dir "$data_dir" --alone-on-volume
}

assemble_app() {
    [ $# -eq 2 ] || die "usage: assemble-app SOURCE_DIR TARGET_DIR"
    source_dir="$1"
    target_dir="$2"
    mkdir -p "$target_dir"
    # a ConfigMap volume also holds `..data` and timestamped directories: copy only the visible
    # entries (following their symlinks), so the package's generation hash is the same in every pod
    for entry in "$source_dir"/*; do
        [ -e "$entry" ] || continue
        cp -RL "$entry" "$target_dir/"
    done
    if [ ! -e "$target_dir/models" ]; then
        ln -s "$PHASEDSEARCH_HOME/app/models" "$target_dir/models"
    fi
    echo "assembled the application package in $target_dir:" >&2
    (cd "$target_dir" && find . -path ./models -prune -o -type f -print | sort) >&2
}

# the value after `--port` on PID 1's command line, else the given default
pid1_port() {
    tr '\0' '\n' </proc/1/cmdline | sed -n '/^--port$/{n;p;q;}' | grep . || echo "$1"
}

healthcheck() {
    if tr '\0' ' ' </proc/1/cmdline | grep -q 'content_node'; then
        exec python -m content_node.probe --port "$(pid1_port 19100)"
    fi
    exec python -c 'import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/status.html", timeout=5) as r:
    sys.exit(0 if r.status == 200 else 1)' "$(pid1_port 8080)"
}

[ $# -ge 1 ] || die "usage: content-node ARGS | container ARGS | assemble-app SRC DST | healthcheck | COMMAND"
role="$1"
shift
case "$role" in
    content-node|content_node) content_node "$@" ;;
    container) exec python -m container "$@" ;;
    assemble-app) assemble_app "$@" ;;
    healthcheck) healthcheck ;;
    *) exec "$role" "$@" ;;
esac
