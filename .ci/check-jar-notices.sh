#!/bin/sh
# Checks the release hygiene of the runnable jar (run after `mvn -B verify`, which builds it):
#   - LICENSE, NOTICE and THIRD-PARTY.txt sit at the jar root, and LICENSE/NOTICE are this checkout's files;
#   - THIRD-PARTY.txt is the generated list (license-maven-plugin), names JFreeChart's reviewed LGPL entry,
#     and the LGPL text that entry needs is in the jar;
#   - `--version` prints the Maven version and a commit.
# Uses only the JDK's `jar` tool. Usage: .ci/check-jar-notices.sh [JAR] (default controller/target/specserve.jar)
set -eu
cd "$(dirname "$0")/.."
JAR=$(readlink -f "${1:-controller/target/specserve.jar}")
fail() { printf 'check-jar-notices: FAIL: %s\n' "$*" >&2; exit 1; }
[ -f "$JAR" ] || fail "$JAR not found (build it: mvn -B verify)"
listing=$(jar tf "$JAR")
for f in LICENSE NOTICE THIRD-PARTY.txt META-INF/licenses/LGPL-2.1.txt; do
  printf '%s\n' "$listing" | grep -qx "$f" || fail "$JAR has no $f"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && jar xf "$JAR" LICENSE NOTICE THIRD-PARTY.txt)
cmp -s "$tmp/LICENSE" LICENSE || fail "the jar's LICENSE is not this checkout's LICENSE"
cmp -s "$tmp/NOTICE" NOTICE || fail "the jar's NOTICE is not this checkout's NOTICE"
grep -q '^Lists of [0-9]* third-party dependencies' "$tmp/THIRD-PARTY.txt" || fail "THIRD-PARTY.txt is not the generated list"
grep -q 'org.jfree:jfreechart' "$tmp/THIRD-PARTY.txt" || fail "THIRD-PARTY.txt does not list JFreeChart"
version=$(java -jar "$JAR" --version)
printf '%s\n' "$version" | grep -Eq '^specserve [0-9]+\.[0-9]+\.[0-9]+[^ ]* \(commit [^)]+\)$' \
  || fail "--version printed '$version'"
echo "check-jar-notices: OK ($(sed -n 's/^Lists of \([0-9]*\).*/\1/p' "$tmp/THIRD-PARTY.txt") third-party artifacts; $version)"
