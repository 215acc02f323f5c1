"""Calls to malloc in a callgrind dump (all callers): python3 cg_mallocs.py DUMP"""
import re
import sys

names = {}
total = 0
callee = None
with open(sys.argv[1], errors="replace") as dump:
    for line in dump:
        if line.startswith(("cfn=", "cfi=", "cob=")) and not line.startswith("cfn="):
            continue
        if line.startswith("cfn="):
            m = re.match(r"cfn=\((\d+)\)(?: (.*))?", line.strip())
            if m:
                ident, name = m.group(1), m.group(2)
                if name:
                    names[ident] = name
                callee = names.get(ident)
            else:
                callee = line.strip()[4:]
        elif line.startswith("fn="):
            m = re.match(r"fn=\((\d+)\)(?: (.*))?", line.strip())
            if m and m.group(2):
                names[m.group(1)] = m.group(2)
        elif line.startswith("calls=") and callee is not None:
            if callee == "malloc":
                total += int(line.split("=", 1)[1].split()[0])
            callee = None
print(total)
