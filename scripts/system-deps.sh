#!/usr/bin/env bash
# Make sure the system packages fundvote needs are present; install them with apt-get when we
# are root on Debian/Ubuntu, otherwise stop with one line that says what to install.
#   scripts/system-deps.sh run   -> Pango (WeasyPrint) and a CJK font
#   scripts/system-deps.sh test  -> the above, plus poppler-utils and Chromium for browser tests
#                                   and wrk (the benchmark harness's smoke test)
#   scripts/system-deps.sh bench -> the run packages, plus wrk (the benchmarks' load generator)
set -euo pipefail
purpose="${1:-run}"

missing=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib 'libpango-1.0.so' || missing+=(libpango-1.0-0)
have_lib 'libpangoft2-1.0.so' || missing+=(libpangoft2-1.0-0)
if ! fc-list 2>/dev/null | grep -qiE 'wqy|noto sans cjk|noto serif cjk|source han'; then
  missing+=(fonts-wqy-microhei)
fi
command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
if [ "$purpose" = "test" ]; then
  command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
fi
if [ "$purpose" = "bench" ] || [ "$purpose" = "test" ]; then
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "fundvote: installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "fundvote: missing system packages; please run: sudo apt-get install ${missing[*]}" >&2
exit 1
