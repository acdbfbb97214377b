#!/usr/bin/env python3
"""Runs an example and checks what it prints, for Meson's example tests.

Usage: check_output.py PATTERN_FILE PROGRAM [ARG...]

PATTERN_FILE holds a regular expression (examples/expected/<name>.regex)
that the program's stdout and stderr together must match, applied as CTest's
PASS_REGULAR_EXPRESSION applies it under CMake: surrounding whitespace of the
file stripped, '.' matching newlines too, '^' and '$' the ends of the output.
The program must also exit 0 (CTest, given a pass expression, ignores it).
"""
import os
import re
import subprocess
import sys


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        pattern = f.read().strip()
    program = sys.argv[2:]
    if os.sep not in program[0] and os.path.exists(program[0]):
        # Meson names a target relative to the working directory, not PATH.
        program[0] = os.path.join(os.curdir, program[0])
    run = subprocess.run(program, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    output = run.stdout.decode("utf-8", "replace")
    sys.stdout.write(output)
    if not re.search(pattern, output, re.DOTALL):
        print(f"\ncheck_output: the output does not match {sys.argv[1]}:\n{pattern}", file=sys.stderr)
        return 1
    if run.returncode != 0:
        print(f"\ncheck_output: exit status {run.returncode}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
