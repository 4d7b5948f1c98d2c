// Decodes 8-bit RGB/RGBA PNGs (what WebDriver screenshots are) far enough to tell a drawn page from a blank one.
import { inflateSync } from "node:zlib";

export function decodePng(bytes) {
  if (bytes.readUInt32BE(0) !== 0x89504e47) throw new Error("not a PNG");
  let offset = 8;
  let width = 0, height = 0, colourType = 0, bitDepth = 0;
  const data = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString("ascii", offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      bitDepth = body[8];
      colourType = body[9];
    } else if (type === "IDAT") data.push(body);
    offset += 12 + length;
  }
  if (bitDepth !== 8 || (colourType !== 2 && colourType !== 6)) throw new Error(`unsupported PNG: depth ${bitDepth}, colour type ${colourType}`);
  const channels = colourType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = (line[x] + predictor) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** Colour statistics: how many distinct colours, and what share of pixels the commonest one covers. */
export function colourStats(image) {
  const counts = new Map();
  const { pixels, channels } = image;
  for (let i = 0; i < pixels.length; i += channels) {
    const key = (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const total = pixels.length / channels;
  const commonest = Math.max(...counts.values());
  return { distinct: counts.size, dominantShare: commonest / total };
}

/** A page with text and controls has many colours (anti-aliased text) and no colour covering almost everything. */
export function looksDrawn(stats) {
  return stats.distinct >= 16 && stats.dominantShare < 0.97;
}

/** Decodes an X window dump (`xwd`, ZPixmap, 24 or 32 bits per pixel, true colour) into RGB pixels. */
export function decodeXwd(bytes) {
  const field = (i) => bytes.readUInt32BE(i * 4);
  const [headerSize, format, width, height, byteOrder, bitsPerPixel, bytesPerLine, colours] =
    [field(0), field(2), field(4), field(5), field(7), field(11), field(12), field(19)];
  if (format !== 2 || (bitsPerPixel !== 32 && bitsPerPixel !== 24)) throw new Error("not a true-colour ZPixmap xwd");
  const [redMask, greenMask, blueMask] = [field(14), field(15), field(16)];
  const shift = (mask) => 31 - Math.clz32(mask & -mask);
  const start = headerSize + colours * 12;
  const step = bitsPerPixel / 8;
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = start + y * bytesPerLine + x * step;
      let value = 0;
      for (let b = 0; b < step; b++) {
        value = byteOrder === 0 ? value | (bytes[at + b] << (8 * b)) : (value << 8) | bytes[at + b];
      }
      const out = (y * width + x) * 3;
      pixels[out] = ((value & redMask) >>> shift(redMask)) & 0xff;
      pixels[out + 1] = ((value & greenMask) >>> shift(greenMask)) & 0xff;
      pixels[out + 2] = ((value & blueMask) >>> shift(blueMask)) & 0xff;
    }
  }
  return { width, height, channels: 3, pixels };
}
