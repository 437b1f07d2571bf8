#!/bin/sh
# npm run faults: the full fault suite against the real broker and engine (bring-up as npm test),
# printing one table of figures. Takes a while: 20 kill -9s, a 60 s SIGSTOP, 1,000 malformed records.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
sh scripts/bring-up.sh
exec npx vitest run --project faults "$@"
