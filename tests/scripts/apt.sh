#!/usr/bin/env bash
# Sourced by the scripts that install a Debian package the tests or the bench need.

# apt_install SCRIPT WHAT PACKAGE: installs PACKAGE quietly, or, without root, says in one line on standard error
# that WHAT is missing and fails.
apt_install() {
    local script=$1 what=$2 package=$3
    if [[ $(id -u) -ne 0 ]]; then
        echo "$script: $what is not installed and installing it needs root (apt-get install $package)" >&2
        return 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
}
