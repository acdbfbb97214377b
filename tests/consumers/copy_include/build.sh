#!/usr/bin/env bash
# Consumer: taskfetch's include/ copied into the project, dependencies through
# pkg-config. OpenSSL is listed because taskfetch calls it directly (trust
# store, SHA-256); cpp-httplib's .pc names it only as a private dependency.
# Usage: build.sh <copied include dir> <output>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
g++ -std=c++17 -pthread -I"$1" "$here/../main.cpp" -o "$2" \
  $(pkg-config --cflags --libs nlohmann_json cpp-httplib pugixml openssl)
