#!/usr/bin/env bash
# A throwaway network namespace for multicast tests: only its own loopback, with the MULTICAST flag and a route
# for 224.0.0.0/4, so mDNS runs there and never on the host's interfaces.
#
#   netns.sh create NAME   create it (fails if it exists); needs root and iproute2
#   netns.sh delete NAME   delete it; nothing to do when it is gone
#   netns.sh link A ADDR_A B ADDR_B
#                          join namespaces A and B by a veth pair (interface "mdns0" on both sides, multicast on),
#                          e.g. link ns1 10.9.0.1/24 ns2 10.9.0.2/24: a site Wi-Fi in miniature; deleting either
#                          namespace removes the pair
set -euo pipefail

create() {
    local name=$1
    if [[ $(id -u) -ne 0 ]]; then echo "netns.sh: creating a network namespace needs root" >&2; return 1; fi
    command -v ip >/dev/null 2>&1 || { echo "netns.sh: ip (iproute2) is not installed" >&2; return 1; }
    ip netns add "$name"
    if ! { ip -n "$name" link set lo up multicast on && ip -n "$name" route add 224.0.0.0/4 dev lo; }; then
        ip netns delete "$name" 2>/dev/null || true
        return 1
    fi
}

delete() {
    local name=$1
    if ip netns list 2>/dev/null | grep -qw -- "$name"; then ip netns delete "$name"; fi
}

link() {
    local a=$1 address_a=$2 b=$3 address_b=$4
    ip -n "$a" link add mdns0 type veth peer name mdns0 netns "$b"
    ip -n "$a" addr add "$address_a" dev mdns0
    ip -n "$b" addr add "$address_b" dev mdns0
    ip -n "$a" link set mdns0 up multicast on
    ip -n "$b" link set mdns0 up multicast on
}

case "${1:-}" in
    create) [[ $# -eq 2 ]] || { echo "usage: netns.sh create NAME" >&2; exit 2; }; create "$2" ;;
    delete) [[ $# -eq 2 ]] || { echo "usage: netns.sh delete NAME" >&2; exit 2; }; delete "$2" ;;
    link) [[ $# -eq 5 ]] || { echo "usage: netns.sh link A ADDR_A B ADDR_B" >&2; exit 2; }; link "$2" "$3" "$4" "$5" ;;
    *) echo "usage: netns.sh create|delete NAME | link A ADDR_A B ADDR_B" >&2; exit 2 ;;
esac
