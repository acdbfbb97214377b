#!/usr/bin/env bash
# Consumer: an installed taskfetch through pkg-config.
# Usage: PKG_CONFIG_PATH=<prefix>/share/pkgconfig build.sh <output>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
g++ -std=c++17 "$here/../main.cpp" -o "$1" $(pkg-config --cflags --libs taskfetch)
