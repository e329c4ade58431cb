#!/bin/sh
# Build hvlab's C guest programs (tests/c/) for RV32IM.
#
#   bench/programs/build.sh                 rebuild the committed benchmark ELFs here
#   bench/programs/build.sh OUTDIR [PROG..] build PROG.elf (default: crc32) into OUTDIR
#
# The committed ELFs let `hvlab bench` run where no cross compiler exists (the
# browser). tests/test_c_programs.py builds them again and checks they match.
# Paths are relative to the repository root so the output does not depend on
# where the checkout lives.
set -eu
OUT=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -gt 0 ]; then
    mkdir -p "$1"
    OUT=$(cd "$1" && pwd)
    shift
fi
PROGRAMS=${*:-crc32}
CC=${RISCV_CC:-riscv64-unknown-elf-gcc}
RT=tests/c/runtime
# rv32im/ilp32: the hart has no C extension and no FPU. -Wl,-n: no page
# padding between the headers and the code, so the files stay small.
CFLAGS="-march=rv32im -mabi=ilp32 -O2 -ffreestanding -nostdlib -nostartfiles -static -fno-builtin
        -Wall -Wextra -Werror -I$RT"
LDFLAGS="-T $RT/link.ld -Wl,-n -Wl,--build-id=none -Wl,--no-warn-rwx-segments"
cd "$ROOT"
# Objects get fixed names: linking a .S directly would leave gcc's random
# temporary file name in the symbol table, and the build would not repeat.
OBJ=$(mktemp -d)
trap 'rm -rf "$OBJ"' EXIT
# shellcheck disable=SC2086 # the flags are meant to split
"$CC" $CFLAGS -c -o "$OBJ/crt0.o" $RT/crt0.S
# shellcheck disable=SC2086
"$CC" $CFLAGS -c -o "$OBJ/hvrt.o" $RT/hvrt.c
for prog in $PROGRAMS; do
    # shellcheck disable=SC2086
    "$CC" $CFLAGS $LDFLAGS -o "$OUT/$prog.elf" "$OBJ/crt0.o" "$OBJ/hvrt.o" "tests/c/programs/$prog.c" -lgcc
done
if [ "$OUT" = "$ROOT/bench/programs" ]; then
    "$CC" --version | head -n 1 > "$OUT/COMPILER"
fi
