#!/bin/sh
# edgemdm-edge on an installed appliance: operator commands read the service's settings and data directory, and run
# as the service's account (its files are owner-only), so `sudo edgemdm-edge devices list` just works.
set -e
if [ -r /etc/edgemdm/edge.env ]; then
	set -a
	. /etc/edgemdm/edge.env
	set +a
fi
: "${EDGEMDM_Edge__DataDir:=/var/lib/edgemdm/edge}"
: "${DOTNET_gcServer:=0}"
: "${DOTNET_GCHeapHardLimit:=0x10000000}"
export EDGEMDM_Edge__DataDir DOTNET_gcServer DOTNET_GCHeapHardLimit
if [ "$(id -u)" = 0 ] && getent passwd edgemdm >/dev/null; then
	exec runuser -u edgemdm -- /opt/edgemdm/edge/edgemdm-edge "$@"
fi
exec /opt/edgemdm/edge/edgemdm-edge "$@"
