#!/usr/bin/env bash
# Install the Debian packages that tests/rgw/cluster.sh needs: a one-node
# Ceph cluster (mon, OSD, RADOS Gateway, CLI tools) and libfaketime for the
# clock tests. Exits at once when everything is already there; runs
# `apt-get update` only when a package cannot be found in the current lists.
set -euo pipefail

PACKAGES=(ceph-mon ceph-osd radosgw ceph-common faketime)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if [[ $(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true) != installed ]]; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    exit 0
fi

SUDO=()
if ((EUID != 0)); then
    SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive

echo "tests/rgw/install.sh: installing ${missing[*]}" >&2
# Try with the existing package lists first; refresh them only if needed.
if ! "${SUDO[@]}" apt-get install -y -q "${missing[@]}"; then
    "${SUDO[@]}" apt-get update -q
    "${SUDO[@]}" apt-get install -y -q "${missing[@]}"
fi

command -v radosgw >/dev/null || { echo "install.sh: radosgw still missing" >&2; exit 1; }
