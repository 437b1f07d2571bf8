#!/bin/sh
# Creates (idempotently) the Python virtualenv used by the Python producer test:
# $BERTH_STATE_DIR/venv (default ~/.berth/venv) with fastavro and confluent-kafka from PyPI; pip's
# download cache is $BERTH_CACHE_DIR/pip (default ~/.cache/berth/pip) unless PIP_CACHE_DIR is set.
# Works with HOME unset (the home directory then comes from the password database).
# Prints the venv's python path on stdout; progress on stderr.
set -eu
home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
state="${BERTH_STATE_DIR:-$home/.berth}"
cache="${BERTH_CACHE_DIR:-$home/.cache/berth}"
venv="$state/venv"
want="fastavro==1.13.1 confluent-kafka==2.16.1"
stamp="$venv/.berth-requirements"
python="${BERTH_PYTHON:-python3}"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv/bin/python"
  exit 0
fi
command -v "$python" >/dev/null 2>&1 || { echo "berth: $python not found (install python3 and python3-venv)" >&2; exit 1; }
mkdir -p "$state"
echo "berth: creating $venv ($want)" >&2
"$python" -m venv --clear "$venv" >&2 || { echo "berth: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$cache/pip}"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check $want >&2
echo "$want" > "$stamp"
echo "$venv/bin/python"
