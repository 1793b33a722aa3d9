#!/bin/sh
# make deb: a Debian package of mvrun from what `make` built, with Debian's
# own tools: `make install` into a staging root with PREFIX=/usr, the shared
# library dependencies from dpkg-shlibdeps, then dpkg-deb. Prints the path
# of the .deb it wrote under build/.
set -eu
cd "$(dirname "$0")/.."
version=$(sed -n 's/^#define MVRUN_VERSION "\(.*\)"/\1/p' proto/version.h | tr - '~')
arch=$(dpkg --print-architecture)
stage=build/deb/root
rm -rf build/deb
mkdir -p "$stage/DEBIAN" build/deb/shlibs/debian
make -s install-files DESTDIR="$PWD/$stage" PREFIX=/usr
# Debian policy: stripped binaries, compressed man pages.
strip --strip-unneeded "$stage/usr/bin/mvrun" "$stage/usr/libexec/mvrun/mvm"
gzip -9n "$stage"/usr/share/man/man8/*.8
# dpkg-shlibdeps reads debian/control from its working directory.
printf 'Source: mvrun\n\nPackage: mvrun\nArchitecture: any\n' >build/deb/shlibs/debian/control
depends=$(cd build/deb/shlibs && dpkg-shlibdeps -O "../root/usr/bin/mvrun" "../root/usr/libexec/mvrun/mvm" |
	sed -n 's/^shlibs:Depends=//p')
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<EOC
Package: mvrun
Version: $version
Architecture: $arch
Maintainer: mvrun developers <mvrun@localhost>
Installed-Size: $size
Depends: $depends
Recommends: slirp4netns
Section: admin
Priority: optional
Description: OCI container runtime that runs each container in a KVM microVM
 mvrun takes runc's command line, so containerd, Docker, podman and
 Kubernetes use it in runc's place; each container runs in its own
 microVM with a minimal Linux kernel. mvrun setup registers it with an
 engine; mvrun check says whether the host can run it.
EOC
out=build/mvrun_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out"
