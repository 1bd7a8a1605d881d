#!/usr/bin/env python3
"""tests/lib/doc_blocks.py - the indented code blocks of a Markdown file

usage: doc_blocks.py FILE WORD OUTDIR
Writes each four-space-indented block whose introducing paragraph (the
text lines just above it, up to a blank line) contains WORD to OUTDIR/1, OUTDIR/2 ..., unindented,
and prints how many it wrote.
"""
import os
import sys

path, word, outdir = sys.argv[1:4]
lines = open(path, encoding='utf-8').read().split('\n')


def intro(j):
    """the paragraph ending at line j"""
    para = []
    while j >= 0 and lines[j] != '' and not lines[j].startswith('    '):
        para.append(lines[j])
        j -= 1
    return ' '.join(reversed(para))


blocks, i = [], 0
while i < len(lines):
    if lines[i].startswith('    ') and i >= 2 and lines[i - 1] == '' and word in intro(i - 2):
        block = []
        while i < len(lines) and (lines[i].startswith('    ') or lines[i] == ''):
            block.append(lines[i][4:])
            i += 1
        while block and block[-1] == '':
            block.pop()
        blocks.append('\n'.join(block) + '\n')
        continue
    i += 1
os.makedirs(outdir, exist_ok=True)
for n, b in enumerate(blocks, 1):
    with open(os.path.join(outdir, str(n)), 'w', encoding='utf-8') as f:
        f.write(b)
print(len(blocks))
