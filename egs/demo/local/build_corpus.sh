#!/usr/bin/env bash
# Build the demo corpus with Festival (installing it first when it is missing).
#
#   egs/demo/local/build_corpus.sh [build_corpus.py options]     e.g. --jobs 2, --limit 20
#
# Environment: PYTHON (default: python), INSTALL=0 to never try apt-get.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PYTHON=${PYTHON:-python}
VOICE=cmu_us_slt_arctic_hts
PACKAGES="festival festvox-us-slt-hts"

have_engine() {
  command -v festival >/dev/null 2>&1 || return 1
  # Loading the voice prints "SIOD ERROR: unbound variable" when it is not installed.
  ! printf '(voice_%s)\n' "$VOICE" | festival --pipe 2>&1 | grep -q "SIOD ERROR"
}

if ! have_engine; then
  if [ "${INSTALL:-1}" = 0 ]; then
    echo "Festival or the voice $VOICE is missing. Install them with: sudo apt-get install $PACKAGES" >&2
    exit 1
  fi
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "Festival or the voice $VOICE is missing and this user cannot install packages." >&2
    echo "Ask an administrator to run: sudo apt-get install $PACKAGES" >&2
    exit 1
  fi
  echo "installing $PACKAGES ..." >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $PACKAGES
  have_engine || { echo "Festival still cannot load $VOICE after installing $PACKAGES" >&2; exit 1; }
fi

exec "$PYTHON" "$here/build_corpus.py" "$@"
