#!/bin/sh
# Builds the busybox rootfs that `make demo` and the tests run containers
# from: Debian's busybox-static with one symlink per applet, and the few
# files a container expects. Usage: mk/rootfs.sh OUTDIR
set -eu
out=$1
bb=/bin/busybox
[ -x "$bb" ] || { echo "mvrun: $bb missing (make deps installs busybox-static)" >&2; exit 1; }
tmp=$out.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp"
cd "$tmp"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root run var/tmp home
chmod 1777 tmp var/tmp
chmod 700 root
cp "$bb" bin/busybox
"$bb" --list-full | while read -r applet; do
	[ "$applet" = bin/busybox ] && continue
	mkdir -p "$(dirname "$applet")"
	[ -e "$applet" ] || ln -s /bin/busybox "$applet"
done
cat > etc/passwd <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > etc/group <<'G'
root:x:0:
tty:x:5:
nogroup:x:65534:
G
echo mvrun > etc/hostname
cd - >/dev/null
rm -rf "$out"
mv "$tmp" "$out"
