#!/usr/bin/env bash
# tests/no-kvm.sh CMD [ARG...]: run CMD on this machine as if it had no
# /dev/kvm (a container, a CI runner without virtualization): in a mount
# namespace of its own whose /dev is a fresh tmpfs holding only the usual
# character devices. Exits 125 with a message when no such namespace can be
# made here (not root, no unshare).
set -u
command -v unshare >/dev/null || { echo "no-kvm: unshare is not installed" >&2; exit 125; }
exec unshare --mount --propagation private -- bash -c '
	mount -t tmpfs -o mode=755 nokvm /dev 2>/dev/null || { echo "no-kvm: cannot mount a tmpfs on /dev" >&2; exit 125; }
	for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
		IFS=: read -r n ma mi <<<"$d"
		mknod -m 666 "/dev/$n" c "$ma" "$mi" || exit 125
	done
	ln -s /proc/self/fd /dev/fd
	ln -s /proc/self/fd/0 /dev/stdin
	ln -s /proc/self/fd/1 /dev/stdout
	ln -s /proc/self/fd/2 /dev/stderr
	mkdir /dev/shm
	[ ! -e /dev/kvm ] || exit 125
	exec "$@"' no-kvm "$@"
