#!/usr/bin/env bash
# Time `make run` on a fresh clone until the first page answers, then stop it.
# Usage: bench/make_run_time.sh [--cold]   (--cold: empty pip cache, as on a new machine)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mktemp -d)"
port="${PORT:-8765}"
git clone -q "$repo" "$dir/cairn"
cd "$dir/cairn"
if [ "${1:-}" = "--cold" ]; then export PIP_NO_CACHE_DIR=1; fi
start=$(date +%s.%N)
setsid make run PORT="$port" > "$dir/make-run.log" 2>&1 &
pid=$!
trap 'kill -TERM -- -$pid 2>/dev/null || true; sleep 3; rm -rf "$dir"' EXIT
until curl -fs -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null; then echo "make run stopped:"; tail -20 "$dir/make-run.log"; exit 1; fi
  sleep 0.2
done
end=$(date +%s.%N)
printf 'make run on a fresh clone, first page answered after %.1f s%s\n' \
  "$(echo "$end - $start" | bc)" "$([ "${1:-}" = "--cold" ] && echo ' (no pip cache)')"
