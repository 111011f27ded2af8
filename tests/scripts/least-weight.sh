#!/usr/bin/env bash
# Runs a command (the bench: the load generator, i.e. the devices) at the least CPU weight, as devices are other
# machines, and removes what it made when the command ends, however it ends.
#
#   least-weight.sh COMMAND [ARGS...]
#
# The mechanism, first that works:
#   cgroup v1 (/sys/fs/cgroup/cpu, as on these machines): a child group of this process's cpu group with cpu.shares=2
#   cgroup v2: a child group of this process's group with cpu.weight=1 (needs the cpu controller delegated to it)
#   nice -n 19 where no group can be made (no root, no cpu controller)
# The command sees, in its environment:
#   EDGEMDM_LOAD_WEIGHT        one line saying which mechanism it runs under (the bench prints it first)
#   EDGEMDM_SERVER_CGROUP_PROCS the cgroup.procs file of the group this script started in (the normal weight), empty
#                              under nice; a server the command starts writes its pid there before it execs
#                              (tests/Common/ProcessWeight.cs, AtServerWeight)
# Its exit code is the command's.
set -uo pipefail

if [[ $# -eq 0 ]]; then echo "usage: least-weight.sh COMMAND [ARGS...]" >&2; exit 2; fi

group=""
parent_procs=""

# The directory of this process's group in the hierarchy mounted at $1 for the controller line matching $2.
own_group() {
    local root=$1 pattern=$2 path
    path=$(awk -F: -v p="$pattern" '$2 ~ p { print $3; exit }' /proc/self/cgroup)
    [[ -n "$path" ]] && echo "${root}${path%/}"
}

make_group() {
    local parent
    if [[ $(id -u) -ne 0 ]]; then return 1; fi
    if [[ -f /sys/fs/cgroup/cpu/cpu.shares ]] && parent=$(own_group /sys/fs/cgroup/cpu '(^|,)cpu(,|$)') && [[ -d "$parent" ]]; then
        group="$parent/edgemdm-load-$$"
        mkdir "$group" 2>/dev/null && echo 2 > "$group/cpu.shares" 2>/dev/null || { rmdir "$group" 2>/dev/null; group=""; return 1; }
        parent_procs="$parent/cgroup.procs"
        export EDGEMDM_LOAD_WEIGHT="cgroup v1, cpu.shares=2 ($group); the servers in $parent"
        return 0
    fi
    if [[ -f /sys/fs/cgroup/cgroup.controllers ]] && parent=$(own_group /sys/fs/cgroup '^$') && [[ -d "$parent" ]] &&
        grep -qw cpu "$parent/cgroup.subtree_control" 2>/dev/null; then
        group="$parent/edgemdm-load-$$"
        mkdir "$group" 2>/dev/null && echo 1 > "$group/cpu.weight" 2>/dev/null || { rmdir "$group" 2>/dev/null; group=""; return 1; }
        parent_procs="$parent/cgroup.procs"
        export EDGEMDM_LOAD_WEIGHT="cgroup v2, cpu.weight=1 ($group); the servers in $parent"
        return 0
    fi
    return 1
}

# Every process still in the group goes back to the parent (a server that failed to leave, a straggler), then the
# group is removed; bounded: a process that will not move is named and left, the group with it.
remove_group() {
    [[ -n "$group" && -d "$group" ]] || return 0
    echo $$ > "$parent_procs" 2>/dev/null || true
    local attempt pid
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        while read -r pid; do echo "$pid" > "$parent_procs" 2>/dev/null || true; done < "$group/cgroup.procs"
        rmdir "$group" 2>/dev/null && return 0
        sleep 0.2
    done
    echo "least-weight.sh: could not remove $group (still in it: $(tr '\n' ' ' < "$group/cgroup.procs"))" >&2
}

child=""
forward() { [[ -n "$child" ]] && kill -s "$1" "$child" 2>/dev/null; }
trap remove_group EXIT
trap 'forward INT' INT
trap 'forward TERM' TERM

if make_group && echo $$ > "$group/cgroup.procs"; then
    export EDGEMDM_SERVER_CGROUP_PROCS="$parent_procs"
    "$@" &
else
    remove_group
    group=""
    export EDGEMDM_LOAD_WEIGHT="nice 19 (no CPU cgroup could be made here)"
    export EDGEMDM_SERVER_CGROUP_PROCS=""
    nice -n 19 "$@" &
fi
child=$!
# A signal interrupts wait: wait again until the command has really ended, so the group is removed after it.
while true; do
    wait "$child"
    status=$?
    kill -0 "$child" 2>/dev/null || break
done
exit "$status"
