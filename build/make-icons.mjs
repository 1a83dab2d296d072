// Draws the tray icons (one per tray state) as small PNGs: a filled disc with a state mark.
// Run: node build/make-icons.mjs  (output is committed; no image tooling needed at build time)
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const STATES = {
  idle: [46, 160, 67],
  running: [31, 111, 235],
  paused: [210, 153, 34],
  offline: [110, 118, 129],
  'needs-approval': [207, 34, 46],
};

function crc32(buf) {
  let c, crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function png(size, pixel) {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x + 0.5, y + 0.5);
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = r; raw[o + 1] = g; raw[o + 2] = b; raw[o + 3] = a;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function mark(state, x, y, s) {
  const u = x / s, v = y / s;
  if (state === 'paused') return (Math.abs(u - 0.4) < 0.06 || Math.abs(u - 0.6) < 0.06) && v > 0.3 && v < 0.7;
  if (state === 'running') return u > 0.38 && u < 0.68 && Math.abs(v - 0.5) < (0.68 - u) * 0.9;
  if (state === 'needs-approval') return Math.abs(u - 0.5) < 0.06 && ((v > 0.25 && v < 0.6) || (v > 0.67 && v < 0.77));
  if (state === 'offline') return Math.abs(u - v) < 0.07 && u > 0.28 && u < 0.72;
  return false;
}

for (const size of [16, 32, 64]) {
  for (const [state, [r, g, b]] of Object.entries(STATES)) {
    const image = png(size, (x, y) => {
      const d = Math.hypot(x - size / 2, y - size / 2) / (size / 2);
      if (d > 0.94) return [0, 0, 0, 0];
      const alpha = d > 0.86 ? Math.round(255 * (0.94 - d) / 0.08) : 255;
      return mark(state, x, y, size) ? [255, 255, 255, alpha] : [r, g, b, alpha];
    });
    const suffix = size === 32 ? '' : size === 64 ? '@2x' : '-16';
    writeFileSync(new URL(`./icons/tray-${state}${suffix}.png`, import.meta.url), image);
  }
}
writeFileSync(new URL('./icons/icon.png', import.meta.url), png(256, (x, y) => {
  const d = Math.hypot(x - 128, y - 128) / 128;
  return d > 0.95 ? [0, 0, 0, 0] : [31, 111, 235, 255];
}));
