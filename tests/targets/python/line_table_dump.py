"""Prints, for a set of code objects, the raw line table and the line the
interpreter itself gives each instruction, for leakspy's line-table tests:
    <format> <first line> <table as hex> <offset>:<line> ...
Offsets are in the units leakspy's decoder takes: bytes for 3.9 and 3.10,
code units (2 bytes) for 3.11+. A line of 0 means "no line"."""
import dis
import sys


def sample_functions():
    def straight(a):
        b = a + 1
        c = b * 2
        return c

    def branches(items):
        total = 0
        for item in items:
            if item % 2:
                total += item
            elif item > 100:
                total -= 1
            else:
                continue
        try:
            total /= len(items)
        except ZeroDivisionError:
            total = -1
        finally:
            total += 0
        return total

    def far_lines(x):
        y = x

















































































        return y + [i for i in range(x)][0]

    return [straight, branches, far_lines, sample_functions, dis.dis, dis._get_instructions_bytes]


def code_objects():
    seen = []
    pending = [f.__code__ for f in sample_functions()]
    while pending:
        code = pending.pop()
        if code in seen:
            continue
        seen.append(code)
        pending.extend(c for c in code.co_consts if hasattr(c, "co_code"))
    return seen


def main():
    minor = sys.version_info[1]
    for code in code_objects():
        if minor == 9:
            starts = list(dis.findlinestarts(code))
            checks = []
            for offset in range(0, len(code.co_code), 2):
                line = 0
                for start, start_line in starts:
                    if start <= offset:
                        line = start_line
                checks.append((offset, line))
            table, form = code.co_lnotab, "lnotab"
        else:
            checks = []
            for start, end, line in code.co_lines():
                for offset in range(start, end, 2):
                    checks.append((offset if minor == 10 else offset // 2, line or 0))
            table = code.co_linetable
            form = "linetable310" if minor == 10 else "locations"
        pairs = " ".join("%d:%d" % pair for pair in checks)
        print(form, code.co_firstlineno, table.hex() or "-", pairs)


main()
