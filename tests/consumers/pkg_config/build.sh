#!/usr/bin/env bash
# Consumer: an installed taskfetch through pkg-config, header-only
# (taskfetch.pc) or in compiled mode (taskfetch-compiled.pc).
# Usage: PKG_CONFIG_PATH=<the install's pkgconfig dirs> build.sh <output> [taskfetch-compiled]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
flags=$(pkg-config --cflags --libs "${2:-taskfetch}")
g++ -std=c++17 "$here/../main.cpp" -o "$1" $flags
