#!/usr/bin/env python3
"""Draws Tallyvault's app icons (8-bit RGBA PNGs) into icons/: a rounded teal square holding a vault door.

Standard library only (zlib + struct), so it runs anywhere. Rerun after changing the drawing; commit the PNGs.
"""
import math
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "icons"
TEAL = (15, 118, 110)
LIGHT = (240, 253, 250)
GOLD = (245, 180, 60)


def coverage(inside, x, y, samples=4):
    """Fraction of the pixel at (x, y) that `inside` covers, for anti-aliased edges."""
    hits = 0
    for i in range(samples):
        for j in range(samples):
            if inside(x + (i + 0.5) / samples, y + (j + 0.5) / samples):
                hits += 1
    return hits / (samples * samples)


def draw(size):
    s = size
    radius = 0.22 * s
    ring_r = 0.30 * s
    ring_w = 0.07 * s
    c = s / 2

    def rounded_square(x, y):
        m = 0.04 * s
        dx = max(m + radius - x, 0, x - (s - m - radius))
        dy = max(m + radius - y, 0, y - (s - m - radius))
        return m <= x <= s - m and m <= y <= s - m and dx * dx + dy * dy <= radius * radius

    def ring(x, y):
        d = math.hypot(x - c, y - c)
        return ring_r - ring_w <= d <= ring_r

    def keyhole(x, y):
        head = math.hypot(x - c, y - (c - 0.04 * s)) <= 0.075 * s
        stem = abs(x - c) <= 0.035 * s and c - 0.04 * s <= y <= c + 0.13 * s
        return head or stem

    def bolts(x, y):
        for k in range(4):
            a = math.pi / 4 + k * math.pi / 2
            bx, by = c + math.cos(a) * (ring_r + 0.075 * s), c + math.sin(a) * (ring_r + 0.075 * s)
            if math.hypot(x - bx, y - by) <= 0.035 * s:
                return True
        return False

    rows = []
    for y in range(s):
        row = bytearray([0])
        for x in range(s):
            alpha = coverage(rounded_square, x, y)
            colour = TEAL
            for shape, col in ((ring, LIGHT), (bolts, LIGHT), (keyhole, GOLD)):
                k = coverage(shape, x, y, 3)
                if k:
                    colour = tuple(round(a * (1 - k) + b * k) for a, b in zip(colour, col))
            row += bytes([*colour, round(alpha * 255)])
        rows.append(bytes(row))
    return b"".join(rows)


def png(size, pixels):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels, 9)) + chunk(b"IEND", b"")


def main():
    OUT.mkdir(exist_ok=True)
    for name, size in (("32x32.png", 32), ("64x64.png", 64), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)):
        (OUT / name).write_bytes(png(size, draw(size)))
        print("wrote", OUT / name)


if __name__ == "__main__":
    main()
