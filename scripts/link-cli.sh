#!/bin/sh
# Puts `berth` on PATH: a symlink BERTH_BIN_DIR/berth (default /usr/local/bin, on PATH on Debian)
# to this checkout's compiled CLI. Run by bring-up.sh, so after `npm run demo` or `npm test`
# `berth` works from any directory. Without write access to the directory it says what to do instead.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
bin_dir="${BERTH_BIN_DIR:-/usr/local/bin}"
target="$root/dist/cli/main.js"
[ -f "$target" ] || { echo "berth: $target missing (npm run build first)" >&2; exit 1; }
chmod +x "$target"
if mkdir -p "$bin_dir" 2>/dev/null && [ -w "$bin_dir" ]; then
  ln -sf "$target" "$bin_dir/berth"
  echo "berth: $bin_dir/berth -> $target" >&2
else
  echo "berth: cannot write $bin_dir; put berth on PATH with 'npm link' in $root or BERTH_BIN_DIR=~/bin sh scripts/link-cli.sh" >&2
fi
