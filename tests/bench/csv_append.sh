#!/usr/bin/env bash
# csv_append.sh FILE COMMAND...: runs COMMAND --csv FILE twice on a fresh FILE and
# passes when FILE holds one header and twice the rows of the first run.
set -eu
csv=$1
shift
rm -f "$csv"
"$@" --csv "$csv" >/dev/null
first=$(($(wc -l <"$csv") - 1))
"$@" --csv "$csv" >/dev/null
headers=$(grep -c '^model,shape,' "$csv")
rows=$(($(wc -l <"$csv") - 1))
echo "header lines: $headers, rows: $rows (first run: $first)"
[ "$first" -ge 1 ] || { echo "FAIL: the first run wrote no rows"; exit 1; }
[ "$headers" -eq 1 ] || { echo "FAIL: expected one header line"; exit 1; }
[ "$rows" -eq $((2 * first)) ] || { echo "FAIL: expected $((2 * first)) rows"; exit 1; }
echo "ok"
