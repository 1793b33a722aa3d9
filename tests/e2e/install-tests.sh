#!/bin/bash
# Installing mvrun as a user would, in the test host (whose writes are
# discarded): `make install DESTDIR=` into a scratch root, and the .deb of
# `make deb` with dpkg. The installed mvrun finds mvm, the kernel and the
# initramfs without variables, passes `mvrun check`, runs `box` and an OCI
# container; `make uninstall` and `dpkg -r` leave nothing.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
unset MVRUN_MVM MVRUN_KERNEL MVRUN_INITRD
LIMIT=${OCI_LIMIT:-300}
W=$(mktemp -d /tmp/install.XXXXXX)
cleanup() {
	dpkg -s mvrun >/dev/null 2>&1 && dpkg -r mvrun >/dev/null 2>&1
	rm -rf "$W" "$T_OUT" "$T_ERR"
}
trap cleanup EXIT
cp -a build/rootfs "$W/rootfs"

# runs_oci NAME MVRUN: `run` of a bundle from `MVRUN spec`, echoing, then
# nothing left under its --root.
runs_oci() {
	local name=$1 m=$2 b=$W/bundle-$1
	mkdir -p "$b"
	(cd "$b" && "$m" spec) || { T_STATUS=1; t_bad "$name: spec" "no config.json"; return; }
	python3 - "$b/config.json" "$W/rootfs" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["root"] = {"path": sys.argv[2], "readonly": False}
c["process"]["args"] = ["echo", "an OCI container from the installed mvrun"]
c["process"]["terminal"] = False
json.dump(c, open(sys.argv[1], "w"))
PY
	t_exec "$LIMIT" "$m" --root "$W/state-$name" run --bundle "$b" "c-$name"
	t_check "$name: run of an OCI bundle" 0 'out:^an OCI container from the installed mvrun$'
	[ -z "$(ls -A "$W/state-$name" 2>/dev/null)" ] && t_ok "$name: run leaves nothing under --root" ||
		t_bad "$name: run leaves nothing under --root" "$(ls -la "$W/state-$name")"
}

# make install / uninstall
D=$W/dest
t_exec 900 make -s install DESTDIR="$D" PREFIX=/usr/local
t_check "make install DESTDIR= PREFIX=/usr/local" 0
want='./usr/local/bin/mvrun
./usr/local/lib/mvrun/initramfs.cpio
./usr/local/lib/mvrun/vmlinux
./usr/local/libexec/mvrun/mvm
./usr/local/share/man/man8/mvm.8
./usr/local/share/man/man8/mvrun.8'
got=$(cd "$D" && find . -type f | sort)
[ "$got" = "$want" ] && t_ok "make install installs exactly its six files" ||
	t_bad "make install installs exactly its six files" "$got"
M=$D/usr/local/bin/mvrun
t_exec 60 "$M" check
t_check "install: mvrun check passes" 0 "out:^ok +mvm +$D/usr/local/libexec/mvrun/mvm$" \
	"out:^ok +kernel +$D/usr/local/lib/mvrun/vmlinux$" "out:^ok +initramfs +$D/usr/local/lib/mvrun/initramfs.cpio$" \
	'out:^ok +boot ' '!out:^FAIL'
t_exec "$LIMIT" "$M" box "$W/rootfs" -- echo hello from the installed mvrun
t_check "install: mvrun box runs" 0 'out:^hello from the installed mvrun$'
runs_oci install "$M"
t_exec 60 groff -man -ww -Tutf8 -P-cbou "$D/usr/local/share/man/man8/mvrun.8"
t_check "install: the man page renders without warnings" 0 'out:mvrun setup' 'out:mvrun check' errlines:0
t_exec 120 make -s uninstall DESTDIR="$D" PREFIX=/usr/local
t_check "make uninstall" 0
left=$(cd "$D" && find . -type f; cd "$D" && ls -d usr/local/libexec/mvrun usr/local/lib/mvrun 2>/dev/null)
[ -z "$left" ] && t_ok "make uninstall leaves none of its files or folders" ||
	t_bad "make uninstall leaves none of its files or folders" "$left"

# the Debian package
t_exec 900 ./mk/deb.sh
t_check "make deb builds a package" 0 'out:^build/mvrun_.*_amd64\.deb$'
deb=$(tail -n 1 "$T_OUT")
t_exec 60 dpkg-deb -f "$deb" Depends
t_check "the package declares its libraries" 0 'out:libjansson4' 'out:libseccomp2' 'out:libmnl0' 'out:libc6'
t_exec 300 dpkg -i "$deb"
t_check "dpkg -i of the package" 0
t_exec 60 /usr/bin/mvrun check
t_check "deb: mvrun check passes" 0 'out:^ok +mvm +/usr/libexec/mvrun/mvm$' 'out:^ok +kernel +/usr/lib/mvrun/vmlinux$' \
	'out:^ok +boot ' '!out:^FAIL'
t_exec "$LIMIT" /usr/bin/mvrun box "$W/rootfs" -- echo hello from the package
t_check "deb: mvrun box runs" 0 'out:^hello from the package$'
runs_oci deb /usr/bin/mvrun
t_exec 120 dpkg -r mvrun
t_check "dpkg -r mvrun" 0
left=$(ls -d /usr/bin/mvrun /usr/libexec/mvrun /usr/lib/mvrun /usr/share/man/man8/mvrun.8.gz 2>/dev/null)
[ -z "$left" ] && t_ok "dpkg -r leaves nothing of the package" || t_bad "dpkg -r leaves nothing of the package" "$left"

t_summary install
