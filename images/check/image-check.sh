#!/usr/bin/env bash
# The arm64 appliance proven on an x64 build machine (`make image-check`): its .deb installed with dpkg into an arm64
# Debian rootfs, run there under qemu-user, and driven from the x64 side with the x64 tools `make build` leaves in
# ./bin: readiness, an enrollment over pinned TLS, check-ins, a package published at an x64 hub and downloaded from
# the appliance, a wake over MQTT; then the package upgraded to N+1 (every device still checks in with its secret,
# same pin, same admin password, the operator's edge.env kept), removed (data kept) and purged (data gone).
#
#   image-check.sh DEB [BIN]   DEB: the arm64 edgemdm-edge .deb (version N); BIN: the x64 tools (default ./bin)
#
# Needs root (chroot, mounts, binfmt_misc). Environment: IMAGE_CHECK_CACHE (default /var/cache/edgemdm) holds the
# rootfs tarball between runs; IMAGE_CHECK_KEEP=1 keeps the work directory (rootfs, logs) for a look afterwards; a failed run keeps the
# logs alone.
# Prints the figures; on failure prints one line naming the step that failed (the logs are in the work directory
# it names, kept on failure).
set -Eeuo pipefail # -E: the ERR trap below names the step also for a command failing inside a function
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly PACKAGE=edgemdm-edge DATA_DIR=/var/lib/edgemdm/edge ENV_FILE=/etc/edgemdm/edge.env
readonly UNIT=/lib/systemd/system/edgemdm-edge.service APP_ID=com.edgemdm.imagecheck DEVICES=3

[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: image-check.sh DEB [BIN]" >&2; exit 2; }
deb=$(realpath "$1")
bin=$(realpath "${2:-bin}")
cache=${IMAGE_CHECK_CACHE:-/var/cache/edgemdm}
work=$(mktemp -d /var/tmp/edgemdm-image-check.XXXXXX)
root=$work/rootfs
step=starting
pids=()

exec 3>&2 # where fail() reports, even from a command whose output is silenced
fail() { echo "image-check: FAILED at step '$step': $*" >&3; exit 1; }
begin() { step=$1; echo "==> $step"; }

# Everything the check started is stopped by its process id, the rootfs's mounts are undone before anything under it
# is deleted (a bound /dev still mounted there would take the host's device nodes with it), and the work directory
# goes unless the run failed or IMAGE_CHECK_KEEP=1.
cleanup() {
    local status=$? pid mount
    trap - EXIT
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ -d $root ]]; then
        for mount in $(findmnt -rn -o TARGET | grep -F "$root/" | sort -r); do umount "$mount" || umount -l "$mount" || true; done
    fi
    if findmnt -rn -o TARGET | grep -qF "$root/"; then
        echo "image-check: $root still has mounts; left in place" >&2
    elif [[ $status -eq 0 && ${IMAGE_CHECK_KEEP:-0} != 1 ]]; then
        rm -rf "$work"
    else
        [[ ${IMAGE_CHECK_KEEP:-0} == 1 ]] || rm -rf "$root"
        echo "image-check: logs kept in $work" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'fail "a command failed (line $LINENO): $BASH_COMMAND"' ERR
trap 'fail "stopped by a signal (the time limit of make image-check, or Ctrl-C)"' INT TERM

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# wait_for SECONDS WHAT LOG COMMAND...: runs COMMAND every 0.2 s until it succeeds, or fails the step naming WHAT and
# quoting the last line of LOG (- for none).
wait_for() {
    local seconds=$1 what=$2 log=$3 deadline
    shift 3
    deadline=$(( $(now_ms) + seconds * 1000 ))
    until "$@" >/dev/null 2>&1; do
        if (( $(now_ms) >= deadline )); then
            [[ $log == - ]] || what="$what (last in $(basename "$log"): $(tail -n 1 "$log" 2>/dev/null))"
            fail "$what not within ${seconds}s"
        fi
        sleep 0.2
    done
}

# A loopback port below the kernel's ephemeral range (a bench's thousands of connections on the same machine hold ports
# there, and a listener cannot bind one an established connection uses) that no socket uses.
free_port() {
    local low port
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range
    while :; do
        port=$(( 10000 + RANDOM % (low - 10000) ))
        ss -Htan "sport = :$port" | grep -q . || { echo "$port"; return; }
    done
}

# A command in the rootfs (arm64 under qemu-user through binfmt_misc), W^X off as for the appliance (start_appliance
# says why); dpkg hands the environment on to the maintainer scripts, so the postinst's init runs with it too.
in_root() { DOTNET_EnableWriteXorExecute=0 chroot "$root" "$@" </dev/null; }

# The unit's environment (its Environment= lines, then the EnvironmentFile, as systemd reads them) as KEY=VALUE lines.
unit_environment() {
    sed -n 's/^Environment=//p' "$root$UNIT" | tr ' ' '\n' | sed 's/^"//; s/"$//'
    grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$root$ENV_FILE" | sed -E 's/^([^=]*)="(.*)"$/\1=\2/'
}

env_value() { unit_environment | sed -n "s/^$1=//p" | tail -n 1; }

owner_ids() { awk -F: -v user=edgemdm '$1 == user { print $3 ":" $4 }' "$root/etc/passwd"; }

# Starts the appliance as the unit would (its ExecStart, user and environment) under qemu-user, its log in
# $work/appliance-N.log; sets appliance_pid and start_ms (the moment before the process was started).
start_appliance() {
    local n=$1 exec_start home
    exec_start=$(sed -n 's/^ExecStart=[-@+!:]*//p' "$root$UNIT" | tail -n 1)
    [[ -n $exec_start ]] || fail "the unit $UNIT has no ExecStart"
    home=$(awk -F: '$1 == "edgemdm" { print $6 }' "$root/etc/passwd")
    local -a command environment
    read -r -a command <<<"$exec_start"
    # What systemd gives a service with User= and StateDirectory=, then the unit's own environment.
    environment=(PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" USER=edgemdm LOGNAME=edgemdm
        STATE_DIRECTORY=/var/lib/edgemdm)
    mapfile -t -O "${#environment[@]}" environment < <(unit_environment)
    # W^X makes .NET remap its code pages between writable and executable; qemu-user's translation cache does not
    # follow those remaps reliably (random NullReferenceExceptions). A real arm64 board keeps the default.
    environment+=(DOTNET_EnableWriteXorExecute=0)
    start_ms=$(now_ms)
    env -i "${environment[@]}" "$(command -v chroot)" --userspec="$(owner_ids)" "$root" "${command[@]}" \
        </dev/null >"$work/appliance-$n.log" 2>&1 &
    appliance_pid=$!
    pids+=("$appliance_pid")
}

stop_appliance() {
    kill -TERM "$appliance_pid"
    local deadline=$(( $(now_ms) + 30000 ))
    while kill -0 "$appliance_pid" 2>/dev/null; do
        (( $(now_ms) < deadline )) || fail "the appliance did not stop within 30 s of SIGTERM"
        sleep 0.2
    done
    wait "$appliance_pid" 2>/dev/null || true
}

readyz() {
    kill -0 "$appliance_pid" 2>/dev/null || fail "the appliance exited: $(tail -n 3 "$work"/appliance-*.log | tr '\n' ' ')"
    curl -fsS --max-time 5 --cacert "$root$DATA_DIR/tls/site-ca.pem" "$edge_url/readyz"
}

vm_kib() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$appliance_pid/status"; }

hub() { EDGEMDM_SERVER=$hub_url EDGEMDM_TOKEN=$hub_token EDGEMDM_CREDENTIALS=$work/credentials.json "$bin/edgemdm" "$@"; }

state_field() { sed -n "s/.*\"$2\": *\"\\([^\"]*\\)\".*/\\1/p" "$work/device-$1.json" | head -n 1; }

# run_agent N: edgemdm-agent run for device N in the background, its log in $work/agent-N.log; sets agent_pid.
run_agent() {
    : >"$work/agent-$1.log"
    "$bin/edgemdm-agent" run --state "$work/device-$1.json" >"$work/agent-$1.log" 2>&1 &
    agent_pid=$!
    pids+=("$agent_pid")
}

agent_said() { grep -qF -- "$2" "$work/agent-$1.log"; }

# Every enrolled device checks in once with its saved secret and pin (edgemdm-agent refuses any other key).
all_devices_check_in() {
    local n agents=()
    for n in $(seq 1 "$DEVICES"); do run_agent "$n"; agents+=("$agent_pid"); done
    for n in $(seq 1 "$DEVICES"); do
        wait_for 120 "device $n checking in" "$work/agent-$n.log" agent_said "$n" "checkin ok"
    done
    kill "${agents[@]}"
    wait "${agents[@]}" 2>/dev/null || true
}

dpkg_install() {
    local version=$1 file=$2
    cp "$file" "$root/tmp/edgemdm-edge.deb"
    in_root dpkg -i /tmp/edgemdm-edge.deb >"$work/dpkg-$version.log" 2>&1 \
        || fail "dpkg -i of $version failed: $(tail -n 3 "$work/dpkg-$version.log" | tr '\n' ' ')"
    rm -f "$root/tmp/edgemdm-edge.deb"
    [[ $(in_root dpkg-query -W -f='${Status} ${Version}' "$PACKAGE") == "install ok installed $version" ]] \
        || fail "dpkg does not list $PACKAGE $version as installed"
}

# ---------------------------------------------------------------------------------------------------------------------
begin "tools and rootfs"
[[ $(id -u) -eq 0 ]] || fail "needs root (chroot, mounts, binfmt_misc)"
[[ -f $deb ]] || fail "no package $deb (make image ARCHES=arm64)"
[[ $(dpkg-deb -f "$deb" Architecture) == arm64 ]] || fail "$deb is not an arm64 package"
for tool in edgemdm edgemdm-agent edgemdm-cloud; do [[ -x $bin/$tool ]] || fail "no $bin/$tool (make build)"; done
"$here/setup.sh" tools
rootfs_started=$(now_ms)
# The package's dependencies (first alternative, no version) go into the rootfs, so dpkg -i finds them.
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/:[a-z0-9]+//; s/ //g' | grep . | paste -sd, -)
tarball=$("$here/setup.sh" rootfs "$cache" "$depends")
rootfs_ms=$(( $(now_ms) - rootfs_started ))
mkdir "$root"
tar -C "$root" --numeric-owner -xf "$tarball"
chmod 755 "$root" # a tarball packed from a mktemp directory holds / as 0700: only root could run anything
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
[[ $(in_root uname -m) == aarch64 ]] || fail "the rootfs does not run as aarch64 under qemu"

begin "install version N with dpkg"
version_n=$(dpkg-deb -f "$deb" Version)
install_started=$(now_ms)
dpkg_install "$version_n" "$deb"
install_ms=$(( $(now_ms) - install_started ))
for path in /opt/edgemdm/edge/edgemdm-edge /opt/edgemdm/agent/edgemdm-agent; do
    [[ -x $root$path ]] || fail "$path is missing or not executable"
    # e_machine, the ELF header's 16-bit field at offset 18: 183 is EM_AARCH64.
    [[ $(od -An -j18 -N2 -tu2 "$root$path" | tr -d ' ') == 183 ]] || fail "$path is not an arm64 executable"
done
# Each command on the PATH is the installed program: a symlink to it, or a wrapper script that runs it.
for link in edge/edgemdm-edge agent/edgemdm-agent; do
    command=/usr/bin/${link#*/}
    if [[ -L $root$command ]]; then
        [[ $(in_root readlink -f "$command") == "/opt/edgemdm/$link" ]] || fail "$command does not lead to /opt/edgemdm/$link"
    else
        [[ -x $root$command ]] && grep -qF "/opt/edgemdm/$link" "$root$command" || fail "$command does not run /opt/edgemdm/$link"
    fi
done
[[ -f $root$UNIT ]] || fail "the unit $UNIT is missing"
[[ -f $root$ENV_FILE ]] || fail "$ENV_FILE is missing"
(( ($(stat -c '%a' "$root$ENV_FILE") & 8#007) == 0 )) || fail "$ENV_FILE is readable by every account (it may hold credentials)"
in_root dpkg-query --showformat='${Conffiles}' -W "$PACKAGE" | grep -qF " $ENV_FILE " || fail "$ENV_FILE is not a conffile"
grep -q '^edgemdm:' "$root/etc/passwd" || fail "no user edgemdm"
grep -q '^edgemdm:' "$root/etc/group" || fail "no group edgemdm"
[[ $(stat -c '%u:%g %a' "$root$DATA_DIR") == "$(owner_ids) 700" ]] \
    || fail "$DATA_DIR is $(stat -c '%u:%g %a' "$root$DATA_DIR"), not edgemdm:edgemdm ($(owner_ids)) 700"
for made in tls/site-ca.pem; do [[ -s $root$DATA_DIR/$made ]] || fail "the postinst's init made no $DATA_DIR/$made"; done
# The postinst says where the first admin password is: the first file under /var/lib/edgemdm or /etc/edgemdm it names.
password_file=
for named in $(grep -i password "$work/dpkg-$version_n.log" | grep -oE '/(var/lib|etc)/edgemdm/[^ ]*[A-Za-z0-9]'); do
    if [[ -f $root$named ]]; then password_file=$root$named; break; fi
done
[[ -n $password_file ]] || fail "the postinst named no admin password file that exists ($(grep -i password "$work/dpkg-$version_n.log" | head -n 1))"
[[ $(env_value DOTNET_gcServer) == 0 ]] || fail "the unit's environment does not set DOTNET_gcServer=0"
heap_limit=$(env_value DOTNET_GCHeapHardLimit)
[[ -n $heap_limit ]] || fail "the unit's environment sets no DOTNET_GCHeapHardLimit"
site_pin() { in_root /usr/bin/edgemdm-edge tls show --json --data-dir "$DATA_DIR" | sed -n 's/.*"pin":"\([0-9a-f]*\)".*/\1/p'; }
pin=$(site_pin)
[[ ${#pin} -eq 64 ]] || fail "edgemdm-edge tls show (arm64) printed no pin"

begin "x64 hub with a site, an enrollment token and a package"
hub_url=http://127.0.0.1:$(free_port)
hub_grpc=http://127.0.0.1:$(free_port)
"$bin/edgemdm-cloud" serve --database "$work/hub" --rest-url "$hub_url" --grpc-url "$hub_grpc" >"$work/hub.log" 2>&1 &
pids+=($!)
wait_for 60 "the hub answering /healthz" "$work/hub.log" curl -fsS "$hub_url/healthz"
hub_token=$("$bin/edgemdm-cloud" admin-token create --name image-check --database "$work/hub" 2>>"$work/hub.log")
hub sites add "Image check" >"$work/site.txt"
credential=$(awk '/^credential/ { print $2 }' "$work/site.txt")
site=$(hub sites list --json | tr ',{' '\n\n' | sed -n 's/.*"siteId": *"\([^"]*\)".*/\1/p' | head -n 1)
[[ -n $credential && -n $site ]] || fail "edgemdm sites add printed no site id and credential"
head -c 3M /dev/urandom >"$work/app.apk"
app_sha=$(sha256sum "$work/app.apk" | cut -d' ' -f1)
hub packages upload "$work/app.apk" --package-name "$APP_ID" --version-code 1 --version-name 1.0 >"$work/upload.txt"
grep -q "$app_sha" "$work/upload.txt" || fail "the hub's upload did not print the package's SHA-256"
printf 'blueprints:\n  - group: pickers\n    apps:\n      - { packageName: %s, versionCode: 1, versionName: "1.0" }\n' "$APP_ID" >"$work/blueprints.yaml"
hub blueprints apply -f "$work/blueprints.yaml" >/dev/null
token=$(hub tokens create --site "$site" --group pickers --uses $((DEVICES + 1)) --expires 1d)

begin "configure the appliance in $ENV_FILE"
edge_port=$(free_port)
mqtt_port=$(free_port)
edge_url=https://127.0.0.1:$edge_port
(umask 077; echo "$credential" >"$root/etc/edgemdm/site-credential")
chown "$(owner_ids)" "$root/etc/edgemdm/site-credential"
# What an operator adds for a site with a hub; the upgrade must keep it. Ports on loopback: the processes qemu-user runs
# share the host's network. Check-ins every 10 minutes, so a check-in that comes sooner was a wake.
cat >>"$root$ENV_FILE" <<EOF
# added by image-check
EDGEMDM_URLS=$edge_url
EDGEMDM_Edge__HubUrl=$hub_grpc
EDGEMDM_Edge__SiteCredentialFile=/etc/edgemdm/site-credential
EDGEMDM_Edge__SyncIntervalSeconds=1
EDGEMDM_Edge__SyncRetryMaxSeconds=2
EDGEMDM_Edge__CheckinIntervalSeconds=600
EDGEMDM_Edge__Mqtt__Listen=127.0.0.1:$mqtt_port
EDGEMDM_Edge__Mdns__Enabled=false
EOF
env_sha=$(sha256sum "$root$ENV_FILE" | cut -d' ' -f1)
password_sha=$(sha256sum "$password_file" | cut -d' ' -f1)

begin "start version N under qemu-user"
# Up to 5 minutes: qemu translates every instruction, and on a shared 2-core machine at load 30 the first start took
# 2 minutes (20 to 50 s at lower load).
start_appliance 1
wait_for 300 "the arm64 appliance answering /readyz 200" "$work/appliance-1.log" readyz
ready_ms=$(( $(now_ms) - start_ms ))
ready_rss_kib=$(vm_kib VmRSS)
[[ $(readlink "/proc/$appliance_pid/exe") == *qemu* ]] || fail "the appliance process is not run by qemu-user"

begin "enroll $DEVICES devices over pinned TLS"
enroll() {
    "$bin/edgemdm-agent" enroll --server "$edge_url" --pin "$pin" --token "$token" --serial "IMG-$1" \
        --state "$work/device-$1.json" >>"$work/enroll.log" 2>&1
}
wait_for 120 "the enrollment token reaching the site over sync" "$work/enroll.log" enroll 1
for n in $(seq 2 "$DEVICES"); do enroll "$n" || fail "enrollment of device $n: $(tail -n 1 "$work/enroll.log")"; done

begin "download the package from the appliance"
device_id=$(state_field 1 deviceId)
device_secret=$(state_field 1 deviceSecret)
download() {
    curl -fsS --max-time 30 --cacert "$root$DATA_DIR/tls/site-ca.pem" -H "Authorization: Bearer $device_secret" \
        -o "$work/downloaded.apk" "$edge_url/api/v1/packages/$app_sha"
}
wait_for 120 "the package cached at the site and served to device 1" "$work/appliance-1.log" download
[[ $(sha256sum "$work/downloaded.apk" | cut -d' ' -f1) == "$app_sha" ]] || fail "the package downloaded has other bytes"

begin "check in and install the package with edgemdm-agent run"
run_agent 1
wait_for 120 "device 1 checking in" "$work/agent-1.log" agent_said 1 "checkin ok"
wait_for 120 "device 1 installing $APP_ID" "$work/agent-1.log" agent_said 1 "package $APP_ID (1) installed after downloading"
wait_for 60 "device 1 connected to the appliance's broker" "$work/agent-1.log" agent_said 1 "listening for wakes on 127.0.0.1:$mqtt_port"

begin "wake over MQTT"
wait_for 60 "the hub taking a command for device 1" - hub commands send --site "$site" --device "$device_id" ring
wait_for 120 "device 1 woken over MQTT for a command sent at the hub" "$work/agent-1.log" agent_said 1 "woken: checking in now"
kill "$agent_pid"
for n in $(seq 2 "$DEVICES"); do run_agent "$n"; wait_for 120 "device $n checking in" "$work/agent-$n.log" agent_said "$n" "checkin ok"; kill "$agent_pid"; done
hwm_kib=$(vm_kib VmHWM)
rss_kib=$(vm_kib VmRSS)

begin "stop version N"
stop_appliance

begin "upgrade to version N+1 with dpkg"
# N+1 is this same build repackaged with a higher version: what dpkg does on an upgrade (prerm upgrade, the new
# preinst upgrade, unpack over the old files, postrm upgrade, postinst configure N) is the same for any N+1.
version_next="$version_n+imagecheck1"
mkdir -p "$work/next"
dpkg-deb -R "$deb" "$work/next/tree"
sed -i "s/^Version: .*/Version: $version_next/" "$work/next/tree/DEBIAN/control"
dpkg-deb --root-owner-group -Zgzip -b "$work/next/tree" "$work/next/next.deb" >/dev/null
dpkg_install "$version_next" "$work/next/next.deb"
grep -qF "upgrade $PACKAGE:arm64 $version_n $version_next" "$root/var/log/dpkg.log" || fail "dpkg.log records no upgrade $version_n -> $version_next"
[[ $(sha256sum "$root$ENV_FILE" | cut -d' ' -f1) == "$env_sha" ]] || fail "the upgrade changed the operator's $ENV_FILE"
[[ $(sha256sum "$password_file" | cut -d' ' -f1) == "$password_sha" ]] || fail "the upgrade changed the admin password file"

begin "start version N+1: every device checks in"
start_appliance 2
wait_for 300 "version N+1 answering /readyz 200" "$work/appliance-2.log" readyz
upgraded_ready_ms=$(( $(now_ms) - start_ms ))
[[ $(site_pin) == "$pin" ]] \
    || fail "the site's pin changed across the upgrade"
all_devices_check_in
stop_appliance

begin "remove: programs gone, data and configuration kept"
in_root dpkg -r "$PACKAGE" >"$work/dpkg-remove.log" 2>&1 || fail "dpkg -r failed: $(tail -n 3 "$work/dpkg-remove.log" | tr '\n' ' ')"
[[ ! -e $root/opt/edgemdm/edge/edgemdm-edge && ! -e $root/usr/bin/edgemdm-edge ]] || fail "dpkg -r left the programs"
[[ -s $root$DATA_DIR/tls/site-ca.pem && -s $password_file ]] || fail "dpkg -r deleted the site's data"
[[ -f $root$ENV_FILE ]] || fail "dpkg -r deleted the conffile $ENV_FILE"

begin "purge: data and configuration deleted"
in_root dpkg -P "$PACKAGE" >"$work/dpkg-purge.log" 2>&1 || fail "dpkg -P failed: $(tail -n 3 "$work/dpkg-purge.log" | tr '\n' ' ')"
[[ ! -e $root$DATA_DIR ]] || fail "dpkg -P left $DATA_DIR"
[[ ! -e $root$ENV_FILE ]] || fail "dpkg -P left $ENV_FILE"

step=figures
cat <<EOF
image-check: passed ($PACKAGE $version_n and $version_next, arm64 under $(qemu-aarch64-static --version | head -n 1))
  rootfs ready (cache $(basename "$tarball"))   $(( rootfs_ms / 1000 )) s
  dpkg -i of version N (postinst init)        $(( install_ms / 1000 )) s
  start to /readyz 200, version N             ${ready_ms} ms
  start to /readyz 200, version N+1           ${upgraded_ready_ms} ms
  qemu process VmRSS at ready                 $(( ready_rss_kib / 1024 )) MiB
  qemu process VmRSS / VmHWM after the run    $(( rss_kib / 1024 )) / $(( hwm_kib / 1024 )) MiB (heap limit $heap_limit)
  devices enrolled, checked in after upgrade  $DEVICES
EOF
