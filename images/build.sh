#!/usr/bin/env bash
# Builds the appliance's packages: `images/build.sh VERSION ARCH...` (ARCH: arm64, amd64) publishes the appliance and
# the agent self-contained and ReadyToRun for each architecture and writes artifacts/image/edgemdm-edge_VERSION_ARCH.deb.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: images/build.sh VERSION ARCH...}
shift
[ $# -gt 0 ] || set -- arm64 amd64
out=artifacts/image
mkdir -p "$out"

rid_of() {
	case "$1" in
	arm64) echo linux-arm64 ;;
	amd64) echo linux-x64 ;;
	*) echo "images/build.sh: unknown architecture '$1' (arm64 or amd64)" >&2; exit 2 ;;
	esac
}

publish() { # project rid dir
	# Not trimmed: sqlite-net maps rows, YamlDotNet reads blueprints and System.Text.Json reads the CLI's and the
	# device protocol's types by reflection, which trimming removes (images/README.md).
	dotnet publish "$1" -c Release -r "$2" --self-contained -p:PublishReadyToRun=true -p:Version="$version" \
		-p:DebugType=none -o "$3" --nologo -v quiet
}

for arch in "$@"; do
	rid=$(rid_of "$arch")
	echo "==> $arch: publishing the appliance and the agent ($rid, self-contained, ReadyToRun)"
	rm -rf "$out/publish/$rid"
	publish edge/EdgeMdm.Edge "$rid" "$out/publish/$rid/edge"
	publish edge/EdgeMdm.Agent "$rid" "$out/publish/$rid/agent"

	echo "==> $arch: packaging"
	root=$(mktemp -d)
	chmod 0755 "$root"
	trap 'rm -rf "$root"' EXIT
	install -d "$root/DEBIAN" "$root/opt/edgemdm" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/edgemdm" \
		"$root/usr/share/doc/edgemdm-edge"
	cp -a "$out/publish/$rid/edge" "$out/publish/$rid/agent" "$root/opt/edgemdm/"
	install -m 0755 images/edge/edgemdm-edge.sh "$root/usr/bin/edgemdm-edge"
	ln -s /opt/edgemdm/agent/edgemdm-agent "$root/usr/bin/edgemdm-agent"
	install -m 0644 images/edge/edgemdm-edge.service "$root/lib/systemd/system/edgemdm-edge.service"
	install -m 0640 images/edge/edge.env "$root/etc/edgemdm/edge.env"
	install -m 0644 images/README.md "$root/usr/share/doc/edgemdm-edge/README.md"
	install -m 0755 images/deb/postinst images/deb/prerm images/deb/postrm "$root/DEBIAN/"
	install -m 0644 images/deb/conffiles "$root/DEBIAN/conffiles"
	size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
	sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" images/deb/control.in > "$root/DEBIAN/control"
	deb="$out/edgemdm-edge_${version}_${arch}.deb"
	dpkg-deb --root-owner-group -Zzstd --build "$root" "$deb" >/dev/null
	rm -rf "$root"
	trap - EXIT
	echo "    $deb ($(du -h "$deb" | cut -f1))"
done
