#!/usr/bin/env bash
# The man page that help2man makes from --help at every build: it is there, names every
# flag --help prints, and renders without a warning. groff and man are used when present:
# a minimal Debian (debootstrap minbase, most containers) has neither, and the page is
# still checked as text then.
#   $1 exporter binary, $2 source tree, $3 the generated page (build/netstat_exporter.1)
BIN=$1
SRC=$2
PAGE=$3
source "$SRC/tests/e2e/lib.sh"

[ -s "$PAGE" ] || fail "no man page at $PAGE"
[ -s "$PAGE.gz" ] || fail "no compressed man page at $PAGE.gz"
cmp -s "$PAGE" <(gzip -dc "$PAGE.gz") || fail "$PAGE.gz is not $PAGE"
[ ! "$BIN" -nt "$PAGE" ] || fail "$PAGE is older than the binary: it was not regenerated"
head -5 "$PAGE" | grep -q '^\.TH NETSTAT_EXPORTER "1"' || fail "no .TH header: $(head -5 "$PAGE")"

# Every flag of --help, as roff spells it ("\-\-once"), in the page.
"$BIN" --help >"$WORK/help"
grep -oE -- '--[a-z][a-z0-9.-]*' "$WORK/help" | sort -u >"$WORK/flags"
[ "$(wc -l <"$WORK/flags")" -ge 12 ] || fail "too few flags in --help: $(cat "$WORK/flags")"
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$PAGE" >"$WORK/page.txt"
missing=$(while read -r f; do grep -qF -- "$f" "$WORK/page.txt" || echo "$f"; done <"$WORK/flags")
[ -z "$missing" ] || fail "flags of --help missing from the man page: $missing"
for c in sockets listeners snmp interfaces routes multicast; do
  grep -q "^$c \[default" "$WORK/page.txt" || grep -q "$c \[default" "$WORK/page.txt" ||
    fail "collector $c missing from the man page"
done

rendered=""
if command -v groff >/dev/null; then
  # -ww: every warning; -z: no output, only the diagnostics.
  groff -man -Tutf8 -ww -z "$PAGE" >"$WORK/groff" 2>&1 || fail "groff failed: $(cat "$WORK/groff")"
  [ ! -s "$WORK/groff" ] || fail "groff warns: $(cat "$WORK/groff")"
  rendered="groff"
fi
if command -v man >/dev/null; then
  # As lintian checks a page: man-db's warnings, UTF-8.
  LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$PAGE" >/dev/null 2>"$WORK/man" ||
    fail "man failed: $(cat "$WORK/man")"
  [ ! -s "$WORK/man" ] || fail "man warns: $(cat "$WORK/man")"
  LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$PAGE" 2>/dev/null | grep -q -- 'once' ||
    fail "the rendered page lacks --once"
  rendered="$rendered man"
fi
echo "PASS man_page_test ($(wc -l <"$WORK/flags") flags; rendered by: ${rendered:-nothing, neither groff nor man installed})"
