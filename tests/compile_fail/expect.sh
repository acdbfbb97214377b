#!/bin/sh
# Meson's compile-failure test: compiles FILE (syntax and templates only)
# with COMPILER... and taskfetch's dependencies, and passes when the outcome
# is what FILE's "// expect:" line says: "builds", or a failed build whose
# only error is the quoted static_assert message (as expect.cmake).
# Usage: expect.sh INCLUDE_DIR FILE COMPILER...
set -u
include=$1 file=$2
shift 2
expect=$(sed -n 's|^// expect: ||p' "$file" | head -n 1)
[ -n "$expect" ] || { echo "$file: no \"// expect:\" line"; exit 1; }
out=$("$@" -std=c++17 -fsyntax-only -I"$include" \
  $(pkg-config --cflags nlohmann_json cpp-httplib pugixml openssl) "$file" 2>&1)
status=$?
printf '%s\n' "$out"
if [ "$expect" = builds ]; then
  exit $status
fi
[ $status -ne 0 ] || { echo "FAIL: $file built; expected: $expect"; exit 1; }
printf '%s\n' "$out" | grep -qF -- "$expect" || { echo "FAIL: not found: $expect"; exit 1; }
errors=$(printf '%s\n' "$out" | grep -c ' error: ')
[ "$errors" -eq 1 ] || { echo "FAIL: $errors errors; expected the static_assert alone"; exit 1; }
