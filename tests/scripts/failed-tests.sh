#!/usr/bin/env bash
# Prints each failed test of a `dotnet test --logger trx` run with the first lines of its message, so the end of
# a long CI log names what failed instead of only counting it.
set -uo pipefail
dir="${1:?usage: failed-tests.sh RESULTS_DIR}"
shopt -s nullglob
files=("$dir"/*.trx)
[ ${#files[@]} -gt 0 ] || { echo "no test results in $dir"; exit 0; }
echo
echo "==== failed tests ===="
for trx in "${files[@]}"; do
  # A TRX result is one <UnitTestResult ... testName="…" … outcome="Failed"> element whose <Message> follows.
  awk '
    /<UnitTestResult / {
      failed = ($0 ~ /outcome="Failed"/)
      if (failed) { match($0, /testName="[^"]*"/); print "FAILED " substr($0, RSTART + 10, RLENGTH - 11) }
      lines = 0
    }
    failed && /<Message>/ { inmsg = 1; sub(/.*<Message>/, "") }
    failed && inmsg {
      end = sub(/<\/Message>.*/, "")
      if (lines < 8) print "    " $0
      lines++
      if (end) inmsg = 0
    }
  ' "$trx" | sed -e 's/&quot;/"/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&apos;/'"'"'/g' -e 's/&amp;/\&/g'
done
