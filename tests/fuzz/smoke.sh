#!/usr/bin/env bash
# Each libFuzzer target (build/fuzz/NAME, from tests/fuzz/NAME.c; `make
# fuzz` runs them longer) for a few seconds from the test configurations,
# with ASan and UBSan: a crash or a sanitizer report fails it. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
. tests/tap.sh
SECONDS_EACH=${FUZZ_SMOKE_SECONDS:-3}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for src in tests/fuzz/*.c tests/fuzz/"$(uname -m)"/*.c; do
	[ -f "$src" ] || continue
	name=${src#tests/fuzz/}
	name=${name%.c}
	bin=build/fuzz/$name
	if [ ! -x "$bin" ]; then
		tap_not_ok "$name" "$bin was not built (make fuzz-build)"
		continue
	fi
	mkdir -p "$W/$name"
	for f in tests/configs/*/*.qvmconf; do	# (the same names in different directories)
		cp "$f" "$W/$name/$(echo "${f#tests/configs/}" | tr / _)"
	done
	for k in /boot/vmlinuz-*; do	# seeds for the bzImage reader: a kernel's first 8 KiB
		[ -r "$k" ] && head -c 8192 "$k" >"$W/$name/$(basename "$k")"
	done
	[ -d "tests/fuzz/seeds/$name" ] && cp "tests/fuzz/seeds/$name"/* "$W/$name/"
	for f in build/guest-images/*/*.elf; do	# seeds for the ELF loader
		[ -f "$f" ] && cp "$f" "$W/$name/$(echo "${f#build/guest-images/}" | tr / _)"
	done
	if timeout -k 10 $((SECONDS_EACH + 60)) "$bin" -max_total_time="$SECONDS_EACH" -max_len=65536 -artifact_prefix=build/fuzz/ \
			"$W/$name" >"$W/$name.log" 2>&1; then
		tap_ok "$name"
	else
		tap_not_ok "$name" "$(grep -m5 -E 'ERROR|runtime error|SUMMARY|Test unit written' "$W/$name.log")"
	fi
done
tap_end
