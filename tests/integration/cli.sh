#!/usr/bin/env bash
# the newsflash command line: help, version, unknown commands and options
source tests/lib.sh

out=$("$NF" --help); rc=$?
expect_eq "help exits 0" "$rc" 0
expect_contains "help lists commands" "$out" "version"

out=$("$NF" version); expect_contains "version prints" "$out" "newsflash "

err=$("$NF" frobnicate 2>&1 >/dev/null); rc=$?
expect_eq "unknown command exits 2" "$rc" 2
expect_contains "unknown command names it" "$err" "unknown command 'frobnicate'"
expect_contains "unknown command prints usage" "$err" "usage: newsflash"

"$NF" >/dev/null 2>&1; expect_eq "no command exits 2" "$?" 2
"$NF" version --bogus >/dev/null 2>&1; expect_eq "extra arguments exit 2" "$?" 2
finish
