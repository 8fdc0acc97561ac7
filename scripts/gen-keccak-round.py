#!/usr/bin/env python3
"""Prints the body of one Keccak-f[1600] round over 25 Swift locals a0...a24 (lane x + 5y).

Used once to write Sources/EthCrypto/Keccak+Permutation.swift; kept so the unrolled code can be re-derived
from the specification's tables instead of trusted by eye.
"""
# Rotation offsets r[x][y] from the Keccak reference (FIPS 202, table 2).
R = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]

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
# chi
for y in range(5):
    for x in range(5):
        out.append(f"a{lane(x,y)} = b{lane(x,y)} ^ (~b{lane(x+1,y)} & b{lane(x+2,y)})")
out.append("a0 ^= rc")
print("\n".join(out))
