"""Reads a callgrind dump: prints its total instructions, the instructions spent in memset
(self cost of the functions whose name holds "memset"), and the messages of the run
(RATE messages/s over SECONDS). Used by callgrind.sh.

    python3 memset_cost.py DUMP RATE SECONDS"""

import re
import sys


def main():
    dump, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    names, fn, skip_next = {}, None, False
    total = memset = 0
    with open(dump, errors="replace") as lines:
        for line in lines:
            if line.startswith("fn="):
                m = re.match(r"fn=\((\d+)\)(?: (.*))?", line.strip())
                if m:
                    if m.group(2):
                        names[m.group(1)] = m.group(2)
                    fn = names.get(m.group(1), m.group(1))
                else:
                    fn = line.strip()[3:]
                continue
            if line.startswith("cfn="):
                m = re.match(r"cfn=\((\d+)\) (.*)", line.strip())
                if m:
                    names[m.group(1)] = m.group(2)
                continue
            if line.startswith("calls="):
                # The next cost line is the call's inclusive cost, not this function's own.
                skip_next = True
                continue
            if line[:1].isdigit() or line[:1] in "+-*":
                if skip_next:
                    skip_next = False
                    continue
                parts = line.split()
                if len(parts) >= 2:
                    cost = int(parts[1])
                    total += cost
                    if fn and "memset" in fn:
                        memset += cost
    print(total, memset, round(rate * seconds))


if __name__ == "__main__":
    main()
