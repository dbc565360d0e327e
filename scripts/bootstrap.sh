#!/usr/bin/env bash
# Installs what the project needs on a Debian/Ubuntu machine and syncs the virtual environment.
# Usage: scripts/bootstrap.sh [app|test|bundle] (bundle: the app plus PyInstaller, for
# packaging/). Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-app}"

# System packages. The app itself needs the Qt runtime libraries, PortAudio and zbar (pjsua2's
# wheel carries its own dependencies), listed once for this script and the .deb; the tests also
# start a real registrar, real SIP peers, a virtual audio device, a Secret Service and an X server
# (whose keys the system-wide hotkey tests press through XTest).
runtime_list=packaging/linux/runtime-packages
[ -r "$runtime_list" ] || { echo "error: $runtime_list is missing." >&2; exit 1; }
mapfile -t app_pkgs < <(grep -v -e '^#' -e '^$' "$runtime_list")
test_pkgs=(kamailio kamailio-tls-modules sip-tester baresip-core xvfb pulseaudio
  pulseaudio-utils gnome-keyring dbus strace xdg-utils libglib2.0-bin
  iproute2 libx11-6 libxtst6)

wanted=("${app_pkgs[@]}")
[ "$mode" = test ] && wanted+=("${test_pkgs[@]}")

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
  echo "Installing system packages: ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# A CPython 3.11 or 3.12 that is already installed: the pjsua2 wheels stop at 3.12, and uv may
# not download interpreters here.
python=""
for candidate in python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 12)))' \
      2>/dev/null; then
    # The interpreter itself, not a launcher or shim: uv recreates a venv whose interpreter
    # path differs from the one asked for.
    python="$("$candidate" -c 'import sys; print(sys.executable)')"
    break
  fi
done
if [ -z "$python" ]; then
  echo "error: Python 3.11 or 3.12 is required (the SIP library has no wheel for other versions)." >&2
  exit 1
fi

# uv: the one on PATH, else a private copy in .tools/uv (a venv of its own, so neither a
# PEP 668 "externally managed" OS Python nor a pyenv one is touched, and no shim rehash is needed).
uv_bin="$(command -v uv || true)"
if [ -z "$uv_bin" ]; then
  uv_venv=.tools/uv
  if [ ! -x "$uv_venv/bin/uv" ]; then
    if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
      # Debian and Ubuntu ship venv/ensurepip in a separate package.
      venv_pkg="python3.$("$python" -c 'import sys; print(sys.version_info[1])')-venv"
      if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
        echo "error: $python cannot create a virtual environment; install $venv_pkg (or uv) and run this again." >&2
        exit 1
      fi
      echo "Installing system package: $venv_pkg" >&2
      "${sudo[@]}" apt-get update -qq
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "$venv_pkg" >/dev/null
    fi
    echo "Installing uv into $uv_venv" >&2
    rm -rf "$uv_venv"
    "$python" -m venv "$uv_venv" &&
      "$uv_venv/bin/python" -m pip install --quiet --disable-pip-version-check uv ||
      { echo "error: could not install uv into $uv_venv." >&2; exit 1; }
  fi
  uv_bin="$uv_venv/bin/uv"
fi

export UV_PYTHON_DOWNLOADS=never
# Bytecode compiled at install: where PYTHONDONTWRITEBYTECODE is set, every start would otherwise
# compile pjsua2's 570 kB SWIG module again (~60 ms and ~19 MB).
if [ "$mode" = test ]; then
  "$uv_bin" sync --locked --quiet --compile-bytecode --python "$python"
elif [ "$mode" = bundle ]; then
  "$uv_bin" sync --locked --quiet --compile-bytecode --python "$python" --no-dev --group bundle --inexact
else
  # --inexact: keep the dev tools a previous `scripts/test` installed in the same venv.
  "$uv_bin" sync --locked --quiet --compile-bytecode --python "$python" --no-dev --inexact
fi
