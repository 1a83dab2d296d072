// Draws every icon in build/icons (run: node build/make-icons.mjs; the output is committed, so no image
// tooling is needed at build time):
//   tray-<state>.png, -16, @2x        Linux: a coloured disc with a white state mark, readable on any panel
//   trayTemplate-<state>.png, @2x     macOS template images: black + alpha, the state told by shape alone
//   tray-<state>-light.ico / -dark.ico  Windows, for a light / a dark taskbar: the same shapes, tinted
//   icon.png (512), icon.ico          the app icon for the installers
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

// ---- shapes by state (macOS template images and Windows icons) ----
// Each shape says whether the point (u, v) in the unit square is inked; edges are anti-aliased by
// sampling 4 x 4 points per pixel.
const inDisc = (u, v, cx, cy, r) => Math.hypot(u - cx, v - cy) <= r;
const inTriangle = (u, v, [ax, ay], [bx, by], [cx, cy]) => {
  const s1 = (u - bx) * (ay - by) - (ax - bx) * (v - by);
  const s2 = (u - cx) * (by - cy) - (bx - cx) * (v - cy);
  const s3 = (u - ax) * (cy - ay) - (cx - ax) * (v - ay);
  return !((s1 < 0 || s2 < 0 || s3 < 0) && (s1 > 0 || s2 > 0 || s3 > 0));
};
const SHAPES = {
  // Idle: a ring (nothing going on).
  idle: (u, v) => inDisc(u, v, 0.5, 0.5, 0.44) && !inDisc(u, v, 0.5, 0.5, 0.3),
  // Running: a filled disc with a play triangle cut out.
  running: (u, v) => inDisc(u, v, 0.5, 0.5, 0.46) && !inTriangle(u, v, [0.38, 0.28], [0.38, 0.72], [0.74, 0.5]),
  // Paused: two bars.
  paused: (u, v) => v > 0.14 && v < 0.86 && ((u > 0.2 && u < 0.42) || (u > 0.58 && u < 0.8)),
  // Offline: a thin ring crossed by a slash.
  offline: (u, v) => (inDisc(u, v, 0.5, 0.5, 0.44) && !inDisc(u, v, 0.5, 0.5, 0.34)) || (Math.abs(u - v) < 0.07 && u > 0.12 && u < 0.88),
  // Needs approval: a warning triangle with an exclamation mark cut out.
  'needs-approval': (u, v) =>
    inTriangle(u, v, [0.5, 0.04], [0.02, 0.94], [0.98, 0.94]) &&
    !((Math.abs(u - 0.5) < 0.065 && v > 0.34 && v < 0.66) || inDisc(u, v, 0.5, 0.78, 0.07)),
};

function coverage(shape, size, x, y) {
  let hits = 0;
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) if (shape((x + (i + 0.5) / 4) / size, (y + (j + 0.5) / 4) / size)) hits++;
  return hits / 16;
}

function glyph(shape, size, [r, g, b]) {
  return png(size, (x, y) => [r, g, b, Math.round(255 * coverage(shape, size, x - 0.5, y - 0.5))]);
}

// An ICO file is a directory of images; since Windows Vista each image may be a whole PNG file.
function ico(images) {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, data }, i) => {
    const e = 6 + 16 * i;
    header[e] = size >= 256 ? 0 : size;
    header[e + 1] = size >= 256 ? 0 : size;
    header[e + 2] = 0;
    header[e + 3] = 0;
    header.writeUInt16LE(1, e + 4);
    header.writeUInt16LE(32, e + 6);
    header.writeUInt32LE(data.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += data.length;
  });
  return Buffer.concat([header, ...images.map((im) => im.data)]);
}

// macOS menu bar: 18 pt, drawn at 1x and 2x.
for (const [state, shape] of Object.entries(SHAPES)) {
  writeFileSync(new URL(`./icons/trayTemplate-${state}.png`, import.meta.url), glyph(shape, 18, [0, 0, 0]));
  writeFileSync(new URL(`./icons/trayTemplate-${state}@2x.png`, import.meta.url), glyph(shape, 36, [0, 0, 0]));
}

// Windows: 16 px at 100 % scaling up to 32 px at 200 % (and 48 for large icons); darker tints on a
// light taskbar, lighter ones on a dark taskbar.
const TINTS = {
  light: { idle: [26, 127, 55], running: [9, 105, 218], paused: [154, 103, 0], offline: [87, 96, 106], 'needs-approval': [207, 34, 46] },
  dark: { idle: [74, 194, 107], running: [88, 166, 255], paused: [227, 179, 65], offline: [201, 209, 217], 'needs-approval': [255, 123, 114] },
};
const ICO_SIZES = [16, 20, 24, 32, 40, 48];
for (const [taskbar, tints] of Object.entries(TINTS)) {
  for (const [state, shape] of Object.entries(SHAPES)) {
    const images = ICO_SIZES.map((size) => ({ size, data: glyph(shape, size, tints[state]) }));
    writeFileSync(new URL(`./icons/tray-${state}-${taskbar}.ico`, import.meta.url), ico(images));
  }
}

// The app icon: macOS wants at least 512 px; Windows gets every size up to 256 in one ICO.
const appIcon = (size) =>
  png(size, (x, y) => {
    const d = Math.hypot(x - size / 2, y - size / 2) / (size / 2);
    if (d > 0.95) return [0, 0, 0, 0];
    const ring = d > 0.42 && d < 0.6;
    return ring ? [255, 255, 255, 255] : [31, 111, 235, 255];
  });
writeFileSync(new URL('./icons/icon.png', import.meta.url), appIcon(512));
writeFileSync(new URL('./icons/icon.ico', import.meta.url), ico([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, data: appIcon(size) }))));
