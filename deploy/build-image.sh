#!/usr/bin/env bash
# Build the phasedsearch image from deploy/Dockerfile with buildah (no Docker engine needed):
#
#   deploy/build-image.sh [--target cpu|gpu] [--tag NAME:TAG] [--app DIR]
#                         [--base auto|pull|debootstrap] [--ca-bundle FILE] [--dry-run]
#                         [-- BUILDAH-BUD-ARGS...]
#
# --base pull         the Dockerfile's own bases (python:3.11-slim-bookworm, debian:bookworm-slim,
#                     NVIDIA's CUDA image for --target gpu), pulled from their registry;
# --base debootstrap  no registry: a Debian 12 root file system made with debootstrap from the
#                     mirror apt already uses (or $DEBIAN_MIRROR), imported as
#                     localhost/debian:bookworm-slim and used as BUILD_BASE and CPU_BASE with
#                     Debian's python3.11 (PYTHON_SOURCE=debian). CPU target only;
# --base auto         (default) pull when the bases can be pulled, else debootstrap.
# The Debian root file system is cached as a tarball in $PHASEDSEARCH_IMAGE_CACHE (default
# ~/.cache/phasedsearch/image) and layers are cached by buildah, so a second build is fast.
# --ca-bundle FILE    certificates pip inside the build trusts, for networks that re-sign TLS
#                     (default $PHASEDSEARCH_BUILD_CA, else pip's own $PIP_CERT): mounted into the
#                     build's RUN steps with a pip.conf naming it; the image keeps only the empty
#                     mount points (/etc/pip.conf, /run/phasedsearch-build), never their content.
# Builds use `--isolation chroot`: it works as root without a container runtime's privileges.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DEBIAN=localhost/debian:bookworm-slim
DEFAULT_BASES=(python:3.11-slim-bookworm debian:bookworm-slim)
CACHE="${PHASEDSEARCH_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/phasedsearch/image}"

target=cpu
tag=""
app=""
base=auto
dry_run=0
ca_bundle="${PHASEDSEARCH_BUILD_CA:-${PIP_CERT:-}}"
extra=()

die() {
    echo "build-image.sh: $*" >&2
    exit 64
}

while [ $# -gt 0 ]; do
    case "$1" in
        --target) target="${2:?}"; shift 2 ;;
        --tag) tag="${2:?}"; shift 2 ;;
        --app) app="${2:?}"; shift 2 ;;
        --base) base="${2:?}"; shift 2 ;;
        --ca-bundle) ca_bundle="${2:?}"; shift 2 ;;
        --dry-run) dry_run=1; shift ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
case "$target" in cpu|gpu) ;; *) die "--target must be cpu or gpu" ;; esac
case "$base" in auto|pull|debootstrap) ;; *) die "--base must be auto, pull or debootstrap" ;; esac
[ "$target" = gpu ] && [ "$base" = debootstrap ] && die "the gpu target needs NVIDIA's base image: use --base pull"

version="$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$REPO/pyproject.toml" | head -n 1)"
[ -n "$tag" ] || tag="phasedsearch:${version}$([ "$target" = gpu ] && echo -gpu || true)"

# the first Debian mirror apt is configured with for bookworm (deb822 .sources, then sources.list)
debian_mirror() {
    if [ -n "${DEBIAN_MIRROR:-}" ]; then
        echo "$DEBIAN_MIRROR"
        return
    fi
    local found=""
    if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
        found="$(awk -v RS='' '{
            uri = ""; suite = 0; n = split($0, lines, "\n")
            for (i = 1; i <= n; i++) {
                if (lines[i] ~ /^URIs:/) { split(lines[i], words, " "); uri = words[2] }
                if (lines[i] ~ /^Suites:/ && (" " lines[i] " ") ~ / bookworm /) suite = 1
            }
            if (suite && uri ~ /\/debian\/?$/) { print uri; exit }
        }' /etc/apt/sources.list.d/*.sources)"
    fi
    if [ -z "$found" ] && [ -f /etc/apt/sources.list ]; then
        found="$(awk '$1 == "deb" && / bookworm / {
            for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit }
        }' /etc/apt/sources.list)"
    fi
    [ -n "$found" ] || die "no bookworm mirror in apt's configuration: set DEBIAN_MIRROR"
    echo "$found"
}

# localhost/debian:bookworm-slim: already in buildah's storage, else imported from the cached
# tarball, else made with debootstrap (minbase, documentation dropped as in Docker's slim images)
local_debian() {
    if buildah inspect --type image "$LOCAL_DEBIAN" >/dev/null 2>&1; then
        return
    fi
    local tarball="$CACHE/debian-bookworm-minbase.tar"
    if [ ! -f "$tarball" ]; then
        command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
        mkdir -p "$CACHE"
        local rootfs="$CACHE/rootfs.tmp"
        rm -rf "$rootfs"
        local started=$SECONDS
        debootstrap --variant=minbase bookworm "$rootfs" "$(debian_mirror)" >&2
        mkdir -p "$rootfs/etc/dpkg/dpkg.cfg.d"
        printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
            'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
            'path-exclude /usr/share/locale/*' >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim"
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
            "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
        tar -C "$rootfs" -cf "$tarball.tmp" .
        mv "$tarball.tmp" "$tarball"
        rm -rf "$rootfs"
        echo "build-image.sh: debootstrap took $((SECONDS - started)) s" >&2
    fi
    podman import "$tarball" "$LOCAL_DEBIAN" >&2
}

bases_pull() {
    local image
    local -a bases=("${DEFAULT_BASES[@]}")
    if [ "$target" = gpu ]; then
        bases=(python:3.11-slim-bookworm "$(sed -n 's/^ARG GPU_BASE=//p' "$REPO/deploy/Dockerfile")")
    fi
    for image in "${bases[@]}"; do
        buildah inspect --type image "$image" >/dev/null 2>&1 || buildah pull --quiet "$image" >/dev/null 2>&1 || return 1
    done
}

if [ "$base" = auto ]; then
    if [ "$dry_run" = 1 ] || [ "$target" = gpu ] || bases_pull; then base=pull; else base=debootstrap; fi
    echo "build-image.sh: base images: $base" >&2
fi

build_args=()
if [ "$base" = debootstrap ]; then
    build_args+=(--build-arg "BUILD_BASE=$LOCAL_DEBIAN" --build-arg "CPU_BASE=$LOCAL_DEBIAN"
                 --build-arg PYTHON_SOURCE=debian)
fi
[ -n "$app" ] && build_args+=(--build-arg "APP=$app")
# RUN-time mounts only: neither file ends up in a layer
mounts=()
if [ -n "$ca_bundle" ]; then
    [ -f "$ca_bundle" ] || die "no CA bundle at $ca_bundle"
    [ "$dry_run" = 1 ] || { mkdir -p "$CACHE"; printf '[global]\ncert = /run/phasedsearch-build/ca.crt\n' >"$CACHE/pip.conf"; }
    mounts+=(--volume "$(realpath "$ca_bundle"):/run/phasedsearch-build/ca.crt:ro"
             --volume "$CACHE/pip.conf:/etc/pip.conf:ro")
fi

# --format docker keeps HEALTHCHECK (OCI image configs have no field for it)
command=(buildah bud --isolation chroot --layers --format docker
         --file deploy/Dockerfile --ignorefile deploy/Dockerfile.dockerignore
         --target "$target" --tag "$tag" "${build_args[@]}" "${mounts[@]}" "${extra[@]}" .)

if [ "$dry_run" = 1 ]; then
    printf '%q ' "${command[@]}"
    echo
    exit 0
fi
[ "$base" = debootstrap ] && local_debian
cd "$REPO"
started=$SECONDS
"${command[@]}"
echo "build-image.sh: built $tag in $((SECONDS - started)) s ($(buildah images --format "{{.Size}}" "$tag" | head -n 1))" >&2
