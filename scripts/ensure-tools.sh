#!/usr/bin/env bash
# System tools the full test suite needs besides Python packages: tmux, for the review app in a real
# terminal. Installs it with the system's package manager when it can, else says what to do and fails.
set -euo pipefail
command -v tmux >/dev/null && exit 0
echo "==> installing tmux (the real-terminal test of the review app needs it)"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
if command -v apt-get >/dev/null; then
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null
elif command -v dnf >/dev/null; then
  $SUDO dnf install -y -q tmux
elif command -v brew >/dev/null; then
  brew install tmux
fi
command -v tmux >/dev/null || { echo "tmux is missing and could not be installed: install it, then rerun make test" >&2; exit 1; }
