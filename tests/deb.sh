#!/usr/bin/env bash
# The Debian packages (debian/): dpkg-buildpackage builds qvm and qvm-dev
# from a copy of the tree, lintian finds no errors or warnings in them, and
# installed into a scratch root (dpkg -x) they work: the manual pages
# render, the example vdev of qvm-dev builds with pkg-config against the
# installed headers and runs under the installed qvm, which boots the demo
# guest with it in the place of the trace vdev. Prints TAP.
. "$(dirname "$0")/lib.sh"

SRC=$OUT/src/qvm-0.1
ROOT=$OUT/root

t_build() {
	command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
		{ echo "SKIP: no dpkg-buildpackage and debhelper here (tools/deps.sh installs them)"; return 0; }
	command -v git >/dev/null && git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
		{ echo "SKIP: not a git checkout: the tree to package cannot be listed"; return 0; }
	# what git tracks, as a clean clone has it (not the build directories)
	mkdir -p "$SRC"
	git ls-files -z | xargs -0 cp --parents -t "$SRC" ||
		{ echo "cannot copy the tree"; return 1; }
	(cd "$SRC" && dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1 ||
		{ echo "dpkg-buildpackage failed:"; tail -20 "$OUT/build.log"; return 1; }
	ls "$OUT"/src/qvm_*.deb "$OUT"/src/qvm-dev_*.deb >/dev/null ||
		{ echo "no qvm and qvm-dev packages"; return 1; }
}

t_lintian() {
	ls "$OUT"/src/qvm_*.changes >/dev/null 2>&1 || { echo "SKIP: no packages (see build)"; return 0; }
	command -v lintian >/dev/null || { echo "SKIP: no lintian here (tools/deps.sh installs it)"; return 0; }
	lintian --tag-display-limit 0 "$OUT"/src/qvm_*.changes >"$OUT/lintian.out" 2>&1
	if grep -E '^(E|W): ' "$OUT/lintian.out"; then
		echo "lintian reports errors or warnings (above)"
		return 1
	fi
}

t_installed() {
	ls "$OUT"/src/qvm_*.deb >/dev/null 2>&1 || { echo "SKIP: no packages (see build)"; return 0; }
	local d
	for d in "$OUT"/src/qvm_*.deb "$OUT"/src/qvm-dev_*.deb; do
		dpkg -x "$d" "$ROOT" || { echo "dpkg -x $d failed"; return 1; }
	done
	# the manual pages
	local p
	for p in man1/qvm.1 man5/qvm.conf.5 man7/qvm-vdev.7; do
		[ -f "$ROOT/usr/share/man/$p.gz" ] || { echo "no $p in the packages"; return 1; }
		zcat "$ROOT/usr/share/man/$p.gz" | groff -mandoc -Tutf8 -P-cbou 2>"$OUT/groff.err" >"$OUT/page" &&
			[ ! -s "$OUT/groff.err" ] && grep -q NAME "$OUT/page" ||
			{ echo "$p does not render:"; head -3 "$OUT/groff.err"; return 1; }
	done
	[ -f "$ROOT/lib/systemd/system/qvm@.service" ] || { echo "no qvm@.service"; return 1; }
	# the example vdev, built against the installed SDK with pkg-config only
	local ex=$ROOT/usr/share/doc/qvm-dev/examples/ticker.c cflags
	[ -f "$ex" ] || { echo "no example vdev in qvm-dev"; return 1; }
	cflags=$(PKG_CONFIG_PATH=$ROOT/usr/share/pkgconfig PKG_CONFIG_SYSROOT_DIR=$ROOT \
		pkg-config --cflags qvm-vdev) || { echo "pkg-config does not know qvm-vdev"; return 1; }
	mkdir -p "$OUT/vdevs"
	cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -shared -fPIC $cflags "$ex" \
		-o "$OUT/vdevs/vdev-ticker.so" 2>"$OUT/cc.err" ||
		{ echo "the example does not build:"; head -5 "$OUT/cc.err"; return 1; }
	[ -r /dev/kvm ] && [ -w /dev/kvm ] ||
		{ echo "SKIP: /dev/kvm is not usable here: the installed qvm cannot run a guest"; return 0; }
	# the demo with the example in the trace vdev's place, under the installed qvm
	sed -e "s|load \.\./\.\./\.\./build|load $PWD/build|" -e 's/^vdev trace /vdev ticker /' "$BASE" \
		>"$OUT/ticker.qvmconf"
	QVM_VDEV_PATH=$OUT/vdevs timeout -k "$KILL_AFTER" 60 "$ROOT/usr/bin/qvm" @"$OUT/ticker.qvmconf" \
		>"$OUT/ticker.out" 2>"$OUT/ticker.err" </dev/null
	local rc=$?
	[ $rc = 0 ] && grep -q "^trace counter: 3" "$OUT/ticker.out" ||
		{ echo "the installed qvm with the example vdev: exit $rc"; tail -5 "$OUT/ticker.out" "$OUT/ticker.err"; return 1; }
}

tap_check build_both_packages t_build
tap_check lintian_clean t_lintian
tap_check installed_packages_work t_installed
tap_end
