#!/usr/bin/env bash
# The manual pages (man/qvm.1, man/qvm.conf.5, man/qvm-vdev.7): each one
# lints clean (groff -mdoc -ww, and mandoc -T lint where mandoc is
# installed), and each one is held to the code it describes, read from the
# code itself so that neither can drift from the other:
#   qvm.conf(5)  an entry for every global option, `set` variable, cpu
#                option and common vdev option the parser's tables know
#                (core/config.c, core/vdev.c), and for every option of every
#                shipped vdev (vdev/*/*.c, arch/x86/platform.c,
#                arch/arm64/gic.c) in that vdev's own section; the options
#                the parser refuses ("not yet") say they are not supported
#   qvm(1)       every command-line option of core/main.c, every exit code
#                of core/term.h
#   qvm-vdev(7)  every header of include/qvm, every VDEV_CTRL_* control,
#                and its example vdev compiles against include/
# The coverage check is itself checked: with an entry taken out of a copy
# of qvm.conf(5) it must fail and name what is missing.
# Prints TAP. Run from the top of the tree: bash tests/tools/man.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/tap.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
PAGES="man/qvm.1 man/qvm.conf.5 man/qvm-vdev.7"
CONF=man/qvm.conf.5

# ---- what the code knows ----

# The string literals of the lines on stdin, one a line.
literals() { grep -oE '"[^"]*"' | tr -d '"'; }

# The global options: the names of the table of struct global_option.
code_globals() {
	awk '/struct global_option[[:space:]]*\{/ { s = 1 }
	     s == 1 && /\[\][[:space:]]*=[[:space:]]*\{/ { f = 1; s = 2; next }
	     f && /^\};/ { exit }
	     f' core/config.c | grep -oE '^[[:space:]]*\{[[:space:]]*"[^"]+"' | literals
}
# The `set` variables: the table of core/setvars.c.
code_set_vars() {
	awk '/^static const struct set_var vars\[\]/ { f = 1; next } f && /^\};/ { exit } f' \
		core/setvars.c | grep -oE '^[[:space:]]*\{ "[^"]+"' | literals
}
# The options of a cpu context: what config_run takes while one is open.
code_cpu_opts() {
	grep -E 'c\.cpu && ' core/config.c | grep -oE 'strcmp\(name, "[^"]+"\)' | literals
}
# The common vdev options: the table of vdev_is_common_option.
code_common_opts() {
	awk '/^bool vdev_is_common_option\(/ { f = 1 } f && /^\}/ { exit } f' core/vdev.c |
		grep -oE '\{[[:space:]]*"[^"]+"' | literals
}
# Every vdev's options, "VDEV OPTION" a line ("VDEV -" for a vdev with
# none): each struct vdev_factory with its .name (or, NULL, the name its
# vdev/NAME/ directory gives the .so) and the array its .option_list names,
# CDEV_OPTIONS expanded and the no-argument prefix stripped.
code_vdev_opts() {
	local cdev prefix f def
	cdev=$(awk '/^#define CDEV_OPTIONS/ { f = 1 } f { print; if (!/\\$/) exit }' include/qvm/cdev.h |
		literals | tr '\n' ' ')
	prefix=$(sed -n 's/^#define QVM_OPTION_NO_ARG_PREFIX[[:space:]]*"\([^"]*\)".*/\1/p' include/qvm/vdev-core.h)
	for f in vdev/*/*.c arch/x86/platform.c arch/arm64/gic.c core/shmem.c; do
		case $f in vdev/*) def=${f#vdev/}; def=${def%%/*} ;; *) def="" ;; esac
		awk -v def="$def" -v cdev="$cdev" -v prefix="$prefix" '
		function strings(line, arr,   s) {
			if (line ~ /CDEV_OPTIONS/)
				opts[arr] = opts[arr] " " cdev
			while (match(line, /"[^"]*"/)) {
				s = substr(line, RSTART + 1, RLENGTH - 2)
				if (prefix != "" && index(s, prefix) == 1 && length(s) > length(prefix))
					s = substr(s, length(prefix) + 1)
				opts[arr] = opts[arr] " " s
				line = substr(line, RSTART + RLENGTH)
			}
		}
		/^static const char \*const [A-Za-z0-9_]+\[[^]]*\][[:space:]]*=[[:space:]]*\{/ {
			arr = $0
			sub(/^static const char \*const /, "", arr)
			sub(/\[.*/, "", arr)
			opts[arr] = ""
			inarr = 1
			line = $0
			sub(/^[^{]*\{/, "", line)
			$0 = line
		}
		inarr {
			line = $0
			sub(/\/\*.*\*\//, "", line)	# comments name no options
			done = line ~ /\}/
			sub(/\}.*/, "", line)
			strings(line, arr)
			if (done)
				inarr = 0
			next
		}
		/struct vdev_factory [A-Za-z0-9_]+[[:space:]]*=[[:space:]]*\{/ { fac = 1; name = ""; list = ""; next }
		fac && /\.name[[:space:]]*=[[:space:]]*"/ { match($0, /"[^"]*"/); name = substr($0, RSTART + 1, RLENGTH - 2) }
		fac && /\.option_list[[:space:]]*=/ {
			list = $0
			sub(/.*\.option_list[[:space:]]*=[[:space:]]*/, "", list)
			sub(/[^A-Za-z0-9_].*/, "", list)
		}
		fac && /^\};/ {
			fac = 0
			if (name == "") name = def
			if (name == "") name = "?" FILENAME
			n = split(list != "" ? opts[list] : "", o, " ")
			if (n == 0)
				print name, "-"
			for (i = 1; i <= n; i++)
				print name, o[i]
		}' "$f"
	done
}

# ---- what a page says ----

# For every .It line of page $1: "SH<TAB>SS<TAB>ARGS", ARGS the arguments of
# its macro $2 (Cm, Fl...), space-separated, in order. A macro's arguments
# run until the next macro; delimiters (, | : ...) are skipped.
page_items() {
	awk -v want="$2" '
	/^\.Sh / { sh = substr($0, 5); gsub(/"/, "", sh); ss = ""; next }
	/^\.Ss / { ss = substr($0, 5); gsub(/"/, "", ss); next }
	/^\.It / {
		args = ""; on = 0
		for (i = 2; i <= NF; i++) {
			w = $i
			gsub(/\\&/, "", w)
			if (w ~ /^[A-Z][a-z][a-z]?$/) { on = (w == want); continue }
			if (w ~ /^[][(),.;:|!?]+$/ || w == "") continue
			if (on) args = args " " w
		}
		sub(/^ /, "", args)
		print sh "\t" ss "\t" args
	}' "$1"
}

# The entries (first Cm argument of an .It) of section $2 (a .Sh title) of page $1.
entries_in_sh() { page_items "$1" Cm | awk -F'\t' -v sh="$2" '$1 == sh { split($3, a, " "); print a[1] }'; }

# check_conf PAGE: prints what the parser's tables know and PAGE lacks; 1 if anything.
# missing_of HAVE WANTED...: the WANTED names not a line of HAVE, each after a space.
missing_of() {
	local have=$1 n out=""
	shift
	for n in "$@"; do
		grep -qxF -- "$n" <<<"$have" || out+=" $n"
	done
	printf '%s' "$out"
}

check_conf() {
	local page=$1 missing m2 m3 m4
	missing=$(missing_of "$(entries_in_sh "$page" "GLOBAL OPTIONS")" $(code_globals))
	[ -z "$missing" ] || echo "GLOBAL OPTIONS has no '.It Cm NAME' for:$missing"
	m2=$(missing_of "$(page_items "$page" Cm | awk -F'\t' '$1 == "GLOBAL OPTIONS" { split($3, a, " "); if (a[1] == "set") print a[2] }')" \
		$(code_set_vars))
	[ -z "$m2" ] || echo "GLOBAL OPTIONS has no '.It Cm set Cm VAR' for:$m2"
	m3=$(missing_of "$(entries_in_sh "$page" "CPU OPTIONS")" $(code_cpu_opts))
	[ -z "$m3" ] || echo "CPU OPTIONS has no '.It Cm NAME' for:$m3"
	m4=$(missing_of "$(entries_in_sh "$page" "VDEV OPTIONS")" $(code_common_opts))
	[ -z "$m4" ] || echo "VDEV OPTIONS has no '.It Cm NAME' for:$m4"
	# each vdev: a section ".Ss vdev NAME ..." under VDEVS, with an entry per option
	local m5="" vdev opt items
	items=$(page_items "$page" Cm)
	local sections
	sections=$(awk '/^\.Sh / { sh = substr($0, 5) } sh == "VDEVS" && /^\.Ss vdev / { print $3 }' "$page")
	while read -r vdev opt; do
		if ! grep -qxF -- "$vdev" <<<"$sections"; then
			case " $m5 " in *" vdev $vdev (no section)"*) ;; *) m5+=" vdev $vdev (no section)," ;; esac
			continue
		fi
		[ "$opt" = - ] && continue
		awk -F'\t' -v v="$vdev" -v o="$opt" '$1 == "VDEVS" { split($2, s, " ");
			split($3, a, " "); if (s[2] == v && a[1] == o) found = 1 } END { exit !found }' <<<"$items" ||
			m5+=" $vdev $opt,"
	done < <(code_vdev_opts)
	[ -z "$m5" ] || echo "VDEVS lacks (vdev option):${m5%,}"
	[ -z "$missing$m2$m3$m4$m5" ]
}

# ---- the tests ----

# PAGE lints clean with groff's own mdoc package, every warning on, and
# renders as man(1) would (-mandoc finds the mdoc in it) with a NAME section.
t_groff() {
	command -v groff >/dev/null || { echo "SKIP: groff is not installed"; return 0; }
	groff -mdoc -ww -z "$PAGE" 2>"$T/groff.err" >/dev/null
	[ ! -s "$T/groff.err" ] || { echo "groff -mdoc -ww warns:"; head -10 "$T/groff.err"; return 1; }
	groff -mandoc -Tutf8 -P-c -P-b -P-u "$PAGE" 2>"$T/groff.err" >"$T/page"
	[ ! -s "$T/groff.err" ] || { echo "groff -mandoc -Tutf8 says:"; head -10 "$T/groff.err"; return 1; }
	grep -q '^NAME' "$T/page" || { echo "no NAME section when rendered"; return 1; }
}
# PAGE lints clean with mandoc, where it is installed.
t_mandoc() {
	command -v mandoc >/dev/null ||
		{ echo "SKIP: mandoc is not installed (apt-get install mandoc for its stricter lint)"; return 0; }
	mandoc -T lint -W warning "$PAGE" >"$T/mandoc.out" 2>&1
	[ ! -s "$T/mandoc.out" ] || { echo "mandoc -T lint -W warning:"; head -10 "$T/mandoc.out"; return 1; }
}
for PAGE in $PAGES; do
	tap_check "${PAGE#man/} lints clean with groff -mdoc -ww" t_groff
	tap_check "${PAGE#man/} lints clean with mandoc -T lint -W warning" t_mandoc
done

# The tables must have been read: a changed table format must not pass as "nothing missing".
t_tables_read() {
	local n bad=""
	n=$(code_globals | wc -l); [ "$n" -ge 15 ] || bad+=" global options ($n),"
	n=$(code_set_vars | wc -l); [ "$n" -ge 5 ] || bad+=" set variables ($n),"
	n=$(code_cpu_opts | wc -l); [ "$n" -ge 2 ] || bad+=" cpu options ($n),"
	n=$(code_common_opts | wc -l); [ "$n" -ge 5 ] || bad+=" common vdev options ($n),"
	n=$(code_vdev_opts | grep -vc ' -$'); [ "$n" -ge 15 ] || bad+=" vdev options ($n),"
	code_vdev_opts | grep -q '^?' && bad+=" a factory with no name: $(code_vdev_opts | grep '^?' | head -1),"
	[ -z "$bad" ] || { echo "too few read from the code (has a table's format changed?):${bad%,}"; return 1; }
}
tap_check "the parser's option tables are read" t_tables_read

t_conf_coverage() { check_conf "$CONF"; }
tap_check "qvm.conf.5 has an entry for every option the parser and the vdevs know" t_conf_coverage

# With an entry taken out (a global option and a vdev's option), the check must fail and name both.
t_conf_check_fails() {
	local g v o out
	g=$(code_globals | head -1)
	read -r v o < <(code_vdev_opts | grep -v ' -$' | tail -1)
	awk -v g="$g" -v v="$v" -v o="$o" '
		/^\.Ss / { ss = $3 }
		/^\.It Cm / && ($3 == g || (ss == v && $3 == o)) { next }
		{ print }' "$CONF" >"$T/conf.5"
	if out=$(check_conf "$T/conf.5"); then
		echo "the coverage check passed a page without '$g' and vdev $v's '$o'"
		return 1
	fi
	if ! grep -qw -- "$g" <<<"$out" || ! grep -q -- "$v $o" <<<"$out"; then
		echo "the coverage check did not name '$g' and '$v $o':"
		echo "$out"
		return 1
	fi
}
tap_check "the coverage check fails when an option is missing" t_conf_check_fails

# qvm(1): every option core/main.c compares an argument with, as a Fl entry of OPTIONS.
t_qvm1_options() {
	local have n bad=""
	have=$(page_items man/qvm.1 Fl | awk -F'\t' '$1 == "OPTIONS" { n = split($3, a, " "); for (i = 1; i <= n; i++) print "-" a[i] }')
	for n in $(grep -oE 'strcmp\((a|argv\[1\]), "-[^"]+"\)' core/main.c | literals | sort -u); do
		grep -qxF -- "$n" <<<"$have" || bad+=" $n"
	done
	[ -z "$bad" ] || { echo "OPTIONS of qvm.1 has no '.It Fl' for:$bad"; return 1; }
}
tap_check "qvm.1 lists every command-line option of core/main.c" t_qvm1_options

# qvm(1): every exit code of core/term.h (GTC_* resolved in qvm/guest.h) as an
# entry of EXIT STATUS; the custom causes as one "MIN-MAX" entry.
t_qvm1_exit_codes() {
	local have name val codes="" min="" max="" c bad=""
	have=$(awk '/^\.Sh / { sh = substr($0, 5) } sh == "EXIT STATUS" && /^\.It / { print $2 }' man/qvm.1)
	while read -r name val; do
		case $val in GTC_*) val=$(sed -n "s/^[[:space:]]*${val}[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p" include/qvm/guest.h) ;; esac
		[ -n "$val" ] || { echo "cannot resolve $name in core/term.h"; return 1; }
		case $name in
		QVM_EXIT_CUSTOM_MIN) min=$val ;;
		QVM_EXIT_CUSTOM_MAX) max=$val ;;
		*) codes+=" $val" ;;
		esac
	done < <(sed -n 's/^[[:space:]]*\(QVM_EXIT_[A-Z_]*\)[[:space:]]*=[[:space:]]*\([A-Z_0-9]*\).*/\1 \2/p' core/term.h)
	[ -n "$min" ] && [ -n "$max" ] && codes+=" $min-$max"
	[ "$(wc -w <<<"$codes")" -ge 8 ] || { echo "too few exit codes read from core/term.h:$codes"; return 1; }
	for c in $codes; do
		grep -qxF -- "$c" <<<"$have" || bad+=" $c"
	done
	[ -z "$bad" ] || { echo "EXIT STATUS of qvm.1 has no '.It' for:$bad"; return 1; }
}
tap_check "qvm.1 lists every exit code of core/term.h" t_qvm1_exit_codes

# qvm-vdev(7): every header as an entry of Headers, every control as a Dv.
t_vdev7_names() {
	local h c bad=""
	for h in include/qvm/*.h; do
		grep -qxF ".It Pa qvm/${h##*/}" man/qvm-vdev.7 || bad+=" qvm/${h##*/}"
	done
	for c in $(sed -n 's/^[[:space:]]*\(VDEV_CTRL_[A-Z_]*\)[[:space:]]*=.*/\1/p' include/qvm/vdev-core.h); do
		grep -qE "Dv $c( |$)" man/qvm-vdev.7 || bad+=" $c"
	done
	[ -z "$bad" ] || { echo "qvm-vdev.7 does not name:$bad"; return 1; }
}
tap_check "qvm-vdev.7 names every SDK header and every VDEV_CTRL_* control" t_vdev7_names

# qvm-vdev(7)'s example is a whole vdev: it compiles against include/ as the SDK's users would.
t_vdev7_example() {
	command -v cc >/dev/null || { echo "SKIP: no C compiler here"; return 0; }
	awk '/^\.Sh EXAMPLES/ { f = 1 } f && /^\.Bd -literal/ { g = 1; next } g && /^\.Ed/ { exit } g' \
		man/qvm-vdev.7 | sed 's/\\e/\\/g' >"$T/example.c"
	grep -q vdev_register_factory "$T/example.c" || { echo "no example vdev in EXAMPLES"; return 1; }
	cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -fsyntax-only \
		-Iinclude -Iinclude/qvm/qnx "$T/example.c" 2>"$T/cc.err" ||
		{ echo "the example in EXAMPLES does not compile:"; head -10 "$T/cc.err"; return 1; }
}
tap_check "qvm-vdev.7's example vdev compiles" t_vdev7_example

tap_end
