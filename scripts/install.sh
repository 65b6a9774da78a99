#!/usr/bin/env bash
# Install fundvote into a virtual environment exactly as locked in uv.lock, hashes required.
#
#   scripts/install.sh VENV [--editable] [EXTRA ...]
#   scripts/install.sh VENV --uv-only      (just the venv and the pinned uv, for `make lock`)
#
#   VENV        the virtual environment (created with Python 3.11+ when missing)
#   --editable  install fundvote from this checkout in place (development); without it, a
#               regular install (production)
#   EXTRA       optional dependency sets from pyproject.toml: test, bench
#
# Steps: bootstrap uv from PyPI with a pinned hash (scripts/uv-requirements.txt); export the
# lock for the requested extras without resolving anything (`uv export --frozen`); install that
# with --require-hashes; then install fundvote itself with --no-deps and no isolated build
# environment, so the locked setuptools builds it and nothing is resolved again.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:?usage: scripts/install.sh VENV [--editable] [EXTRA ...]}"
shift
editable=()
extras=()
uv_only=0
for arg in "$@"; do
  case "$arg" in
    --editable) editable=(--editable) ;;
    --uv-only) uv_only=1 ;;
    test | bench) extras+=(--extra "$arg") ;;
    *) echo "fundvote install: unknown option or extra: $arg" >&2; exit 2 ;;
  esac
done

if [ ! -x "$venv/bin/python" ]; then
  python="${PYTHON:-}"
  if [ -z "$python" ]; then
    for candidate in python3.13 python3.12 python3.11 python3; do
      if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        python="$candidate"
        break
      fi
    done
  fi
  if [ -z "$python" ]; then
    echo "fundvote: Python 3.11 or newer is needed (apt-get install python3 python3-venv)" >&2
    exit 1
  fi
  "$python" -m venv "$venv"
fi

pin="$here/scripts/uv-requirements.txt"
want="$(sed -n 's/^uv==\([0-9.]*\).*/\1/p' "$pin")"
if [ "$("$venv/bin/uv" --version 2>/dev/null | cut -d' ' -f2)" != "$want" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
    --no-deps -r "$pin"
fi
[ "$uv_only" = 1 ] && exit 0

uv="$venv/bin/uv"
requirements="$venv/fundvote-requirements.txt"
(cd "$here" && "$uv" export --quiet --frozen --format requirements-txt --no-emit-project \
  --no-default-groups --group build "${extras[@]}" --output-file "$requirements")
"$uv" pip install --quiet --python "$venv/bin/python" --require-hashes -r "$requirements"
"$uv" pip install --quiet --python "$venv/bin/python" --no-deps --no-build-isolation \
  --reinstall-package fundvote "${editable[@]}" "$here"
