#!/usr/bin/env bash
# What `make image-check` needs on the build machine, made when missing; safe to run again.
#
#   setup.sh tools            qemu-user-static and debootstrap installed; binfmt_misc mounted and the aarch64
#                             handler registered with the F flag (the kernel opens the interpreter once, at
#                             registration, so arm64 programs run inside a chroot with no qemu copied into it)
#   setup.sh rootfs CACHE [PACKAGES]
#                             an arm64 Debian minbase rootfs (debootstrap --foreign, then its second stage run
#                             under qemu in the chroot) from the mirror and suite apt already uses, packed in
#                             CACHE/rootfs-arm64-SUITE-KEY.tar (KEY: a hash of the extra packages it holds: its own
#                             and PACKAGES, comma-separated, e.g. a .deb's dependencies), and
#                             prints that path; nothing to build when the file exists (delete it to rebuild)
#
# Why binfmt_misc rather than `qemu-aarch64-static -L ROOTFS`: dpkg inside the rootfs runs the package's maintainer
# scripts, and those start more arm64 programs (sh, useradd, the appliance's own `init`); only a kernel handler
# reaches every one of them.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../tests/scripts/apt.sh"

# The packages the rootfs holds beyond minbase: what the self-contained appliance loads (libssl3 for TLS; globalization
# is invariant, so no ICU) and what a .deb's maintainer scripts may call (adduser, passwd).
readonly ROOTFS_PACKAGES=libssl3,adduser,passwd,procps

tools() {
    local apt_updated=false package
    for package in qemu-user-static debootstrap; do
        if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed'; then continue; fi
        if [[ $apt_updated == false ]]; then
            [[ $(id -u) -eq 0 ]] || { echo "setup.sh: $package is not installed and installing it needs root" >&2; return 1; }
            apt-get update -qq && apt_updated=true
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
    done
    local binfmt=/proc/sys/fs/binfmt_misc
    if [[ ! -e $binfmt/register ]]; then
        mount -t binfmt_misc binfmt_misc "$binfmt" \
            || { echo "setup.sh: cannot mount binfmt_misc on $binfmt (needs root and a kernel with binfmt_misc)" >&2; return 1; }
    fi
    if [[ ! -e $binfmt/qemu-aarch64 ]]; then
        # The package's own line for systemd-binfmt (magic, mask, interpreter, flags), with F for "fix binary".
        local line
        line=$(grep -v '^#' /usr/lib/binfmt.d/qemu-aarch64.conf | head -n 1)
        [[ $line == *:F* ]] || line="${line%:*}:F${line##*:}"
        echo "$line" > "$binfmt/register"
    fi
    [[ $(cat "$binfmt/status") == enabled ]] || echo 1 > "$binfmt/status"
    grep -q '^enabled' "$binfmt/qemu-aarch64" || echo 1 > "$binfmt/qemu-aarch64"
    grep -q '^flags: .*F' "$binfmt/qemu-aarch64" \
        || { echo "setup.sh: the registered qemu-aarch64 handler lacks the F flag; remove it (echo -1 > $binfmt/qemu-aarch64) and run again" >&2; return 1; }
}

# The first Debian mirror and suite apt reads, from deb822 .sources files or one-line sources.list entries.
mirror() {
    local found
    found=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
        /^URIs:/ { uri = $2 } /^Suites:/ { suite = $2 }
        /^$/ { if (uri ~ /\/debian\/?$/ && suite != "") { print uri, suite; exit } uri = ""; suite = "" }
        END { if (uri ~ /\/debian\/?$/ && suite != "") print uri, suite }' | head -n 1)
    if [[ -z $found ]]; then
        found=$(grep -hE '^deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | sed -E 's/\[[^]]*\]//' | awk '$2 ~ /\/debian\/?$/ { print $2, $3; exit }')
    fi
    [[ -n $found ]] || { echo "setup.sh: found no Debian mirror in /etc/apt/sources.list(.d)" >&2; return 1; }
    echo "$found"
}

rootfs() {
    local cache=$1 packages uri suite tarball work
    packages=$(echo "$ROOTFS_PACKAGES,${2:-}" | tr ',' '\n' | grep . | sort -u | paste -sd, -)
    read -r uri suite < <(mirror)
    tarball="$cache/rootfs-arm64-$suite-$(echo "$packages" | sha256sum | cut -c1-8).tar"
    if [[ -s $tarball ]]; then echo "$tarball"; return 0; fi
    mkdir -p "$cache"
    work=$(mktemp -d "$cache/rootfs.XXXXXX")
    chmod 755 "$work" # mktemp's 0700 would become the rootfs's /, and only root could run anything in it
    trap 'rm -rf "$work" "$tarball.partial"' EXIT
    debootstrap --arch=arm64 --variant=minbase --foreign --include="$packages" "$suite" "$work" "$uri" >"$work.log" 2>&1 \
        || { tail -n 5 "$work.log" >&2; echo "setup.sh: debootstrap (first stage) failed; the log is $work.log" >&2; return 1; }
    chroot "$work" /debootstrap/debootstrap --second-stage >>"$work.log" 2>&1 \
        || { tail -n 5 "$work.log" >&2; echo "setup.sh: debootstrap second stage under qemu failed; the log is $work.log" >&2; return 1; }
    # Packed, then renamed: a run killed half-way leaves no tarball that looks finished.
    tar -C "$work" --numeric-owner -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    rm -rf "$work" "$work.log"
    trap - EXIT
    echo "$tarball"
}

case "${1:-}" in
    tools) tools ;;
    rootfs) [[ $# -eq 2 || $# -eq 3 ]] || { echo "usage: setup.sh rootfs CACHE [PACKAGES]" >&2; exit 2; }; rootfs "$2" "${3:-}" ;;
    *) echo "usage: setup.sh tools | rootfs CACHE [PACKAGES]" >&2; exit 2 ;;
esac
