#!/bin/sh
# Write ROWS rows of (i, i squared) as CSV into the output folder OUT: squares.sh OUT ROWS
set -eu
out="$1"
rows="$2"
echo "i,square" > "$out/squares.csv"
i=1
while [ "$i" -le "$rows" ]; do
  echo "$i,$((i * i))" >> "$out/squares.csv"
  i=$((i + 1))
done
echo "wrote $rows rows to squares.csv"
