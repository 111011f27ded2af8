#!/usr/bin/env bash
# A site's link in miniature for the line-rate download scenario (make bench): a network namespace for the devices,
# joined to this machine's namespace by a veth pair, and the appliance-to-devices direction shaped with tc (tbf) to a
# NIC's rate. Everything it makes is named after the owning process, so a run that died leaves nothing behind past
# the next `sweep`.
#
#   shaped-link.sh install                  install iproute2 (ip, tc) when missing (needs root; apt-get)
#   shaped-link.sh up OWNER-PID RATE-MBIT   make namespace edgemdm-link-PID, veth elnkPIDh (here, 10.213.N.1/30) and
#                                           elnkPIDd (there, 10.213.N.2/30), tbf at RATE-MBIT on elnkPIDh's egress;
#                                           prints "NAMESPACE HOST-ADDRESS DEVICE-ADDRESS"; undoes itself on failure
#   shaped-link.sh down OWNER-PID           remove them (the namespace takes its veth end and the pair with it)
#   shaped-link.sh sweep                    remove the links of owners no longer running
#   shaped-link.sh stats OWNER-PID          the qdisc's counters (tc -s), for the report
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

install() {
    if command -v ip >/dev/null 2>&1 && command -v tc >/dev/null 2>&1; then return 0; fi
    apt_install shaped-link.sh "iproute2 (ip, tc)" iproute2
}

names() {
    local pid=$1
    namespace="edgemdm-link-$pid"
    # Interface names hold at most 15 characters: elnk + up to 7 digits of the pid + h/d.
    host_end="elnk$((pid % 10000000))h"
    device_end="elnk$((pid % 10000000))d"
    subnet="10.213.$((pid % 64)).$(((pid / 64 % 64) * 4))"
    host_address="${subnet%.*}.$(( ${subnet##*.} + 1 ))"
    device_address="${subnet%.*}.$(( ${subnet##*.} + 2 ))"
}

down() {
    names "$1"
    if ip netns list 2>/dev/null | grep -qw -- "$namespace"; then ip netns delete "$namespace"; fi
    if ip link show "$host_end" >/dev/null 2>&1; then ip link delete "$host_end"; fi
}

up() {
    local pid=$1 rate=$2
    [[ $(id -u) -eq 0 ]] || { echo "shaped-link.sh: a network namespace and a qdisc need root" >&2; return 1; }
    [[ "$rate" =~ ^[1-9][0-9]*$ ]] || { echo "shaped-link.sh: RATE-MBIT must be a whole number ≥ 1, not $rate" >&2; return 2; }
    install
    names "$pid"
    trap 'down "$pid" 2>/dev/null || true' ERR
    ip netns add "$namespace"
    ip link add "$host_end" type veth peer name "$device_end" netns "$namespace"
    ip addr add "$host_address/30" dev "$host_end"
    ip link set "$host_end" up
    ip -n "$namespace" addr add "$device_address/30" dev "$device_end"
    ip -n "$namespace" link set "$device_end" up
    ip -n "$namespace" link set lo up
    # The burst holds a few 64 KiB segments (veth passes GSO segments; tbf splits one larger than the burst), and at
    # 1 Gbit/s 2 MiB is 17 ms of line time; the queue holds another 10 ms before tbf drops, as a NIC's ring would.
    tc qdisc add dev "$host_end" root tbf rate "${rate}mbit" burst 2mb latency 10ms
    trap - ERR
    echo "$namespace $host_address $device_address"
}

sweep() {
    local namespace pid
    for namespace in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^edgemdm-link-[0-9]*$' || true); do
        pid=${namespace#edgemdm-link-}
        if ! kill -0 "$pid" 2>/dev/null; then down "$pid"; fi
    done
}

case "${1:-}" in
    install) install ;;
    up) [[ $# -eq 3 ]] || { echo "usage: shaped-link.sh up OWNER-PID RATE-MBIT" >&2; exit 2; }; sweep; up "$2" "$3" ;;
    down) [[ $# -eq 2 ]] || { echo "usage: shaped-link.sh down OWNER-PID" >&2; exit 2; }; down "$2" ;;
    sweep) sweep ;;
    stats) [[ $# -eq 2 ]] || { echo "usage: shaped-link.sh stats OWNER-PID" >&2; exit 2; }; names "$2"; tc -s qdisc show dev "$host_end" ;;
    *) echo "usage: shaped-link.sh install | up OWNER-PID RATE-MBIT | down OWNER-PID | sweep | stats OWNER-PID" >&2; exit 2 ;;
esac
