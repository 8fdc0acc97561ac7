#!/usr/bin/env python3
"""Prints the body of one Keccak-f[1600] round over 25 Swift locals a0...a24 (lane x + 5y).

Used to write Sources/EthCrypto/Keccak+Permutation.swift; kept so the unrolled code can be re-derived from the
specification's tables instead of trusted by eye.

Chi uses the lane-complementing transform of the Keccak team's implementation overview (§2.2): with the lanes
of COMPLEMENTED held inverted, each row needs one NOT instead of five. The caller inverts those lanes before the
first round and after the last.
"""
# Rotation offsets r[x][y] from the Keccak reference (FIPS 202, table 2).
R = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]

# Lanes kept complemented: (1,0), (2,0), (3,1), (2,2), (2,3), (0,4).
COMPLEMENTED = [1, 2, 8, 12, 17, 20]

# Chi per row y with complemented lanes: A[x] = B[x] ^ (B[x+1] op B[x+2]), each operand possibly negated.
# Each entry: (negate B[x], negate B[x+1], op, negate B[x+2]).
CHI = [
    [(False, False, "|", False), (False, True, "|", False), (False, False, "&", False),
     (False, False, "|", False), (False, False, "&", False)],
    [(False, False, "|", False), (False, False, "&", False), (False, False, "|", True),
     (False, False, "|", False), (False, False, "&", False)],
    [(False, False, "|", False), (False, False, "&", False), (False, True, "&", False),
     (True, False, "|", False), (False, False, "&", False)],
    [(False, False, "&", False), (False, False, "|", False), (False, True, "|", False),
     (True, False, "&", False), (False, False, "|", False)],
    [(False, True, "&", False), (True, False, "|", False), (False, False, "&", False),
     (False, False, "|", False), (False, False, "&", False)],
]

def lane(x, y): return (x % 5) + 5 * (y % 5)

def rot(expr, n): return expr if n == 0 else f"rotl({expr}, {n})"

out = []
for x in range(5):
    out.append(f"let c{x} = a{lane(x,0)} ^ a{lane(x,1)} ^ a{lane(x,2)} ^ a{lane(x,3)} ^ a{lane(x,4)}")
for x in range(5):
    out.append(f"let d{x} = c{(x-1)%5} ^ rotl(c{(x+1)%5}, 1)")
# rho and pi: B[y, 2x+3y] = rot(A[x,y] ^ D[x], r[x][y])
b = {}
for x in range(5):
    for y in range(5):
        b[lane(y, 2*x + 3*y)] = rot(f"(a{lane(x,y)} ^ d{x})", R[x][y])
for i in range(25):
    out.append(f"let b{i} = {b[i]}")
for y in range(5):
    for x in range(5):
        neg_self, neg_p, op, neg_q = CHI[y][x]
        first = f"{'~' if neg_p else ''}b{lane(x + 1, y)}"
        second = f"{'~' if neg_q else ''}b{lane(x + 2, y)}"
        own = f"{'~' if neg_self else ''}b{lane(x, y)}"
        out.append(f"a{lane(x,y)} = {own} ^ ({first} {op} {second})")
out.append("a0 ^= rc")
print("\n".join(out))
