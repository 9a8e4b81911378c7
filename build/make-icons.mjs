#!/usr/bin/env node
// Draws the app icon and the tray icons (one per state) with plain Node: shapes rendered with
// 4×4 supersampling, written as RGBA PNGs through zlib. Run `node build/make-icons.mjs`; the
// output under build/icons/ is committed, so packaging never needs this script.
//
//   icon.png                 1024 px app icon (electron-builder makes .icns / .ico from it)
//   png/<N>x<N>.png          16 … 1024 px, the Linux icon set (and the window icon)
//   tray/<state>-16.png      Windows tray, with @2x (32 px)
//   tray/<state>-32.png      Linux tray, with @2x (64 px)
//   tray/mac/<state>Template.png   macOS menu bar, monochrome (the system tints it), with @2x
//
// States: unpublished (grey dot), connecting (amber), published (green), error (red). The
// macOS templates cannot use colour, so the shape says it: ring, half-tone dot, full dot, hole.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'icons');
const STATES = ['unpublished', 'connecting', 'published', 'error'];
const DOT = { unpublished: [154, 160, 166], connecting: [244, 180, 0], published: [52, 168, 83], error: [234, 67, 53] };
const CARD = [31, 42, 68];
const WHITE = [255, 255, 255];

// ---- PNG ------------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** RGBA pixels (Uint8Array, size×size×4) → PNG bytes (8-bit RGBA, no interlace, filter 0). */
function png(size, pixels) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    Buffer.from(pixels.buffer, y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- Shapes (coordinates in 0…1 of the icon) --------------------------------------------------

const roundedSquare = (inset, radius) => (x, y) => {
  const dx = Math.max(Math.abs(x - 0.5) - (0.5 - inset - radius), 0);
  const dy = Math.max(Math.abs(y - 0.5) - (0.5 - inset - radius), 0);
  return dx * dx + dy * dy <= radius * radius;
};
const disc = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const ring = (cx, cy, r, w) => (x, y) => {
  const d = Math.hypot(x - cx, y - cy);
  return d <= r && d >= r - w;
};
const minus = (a, b) => (x, y) => a(x, y) && !b(x, y);

/** Paints layers ({ shape, rgb, alpha }) bottom to top, 4×4 samples per pixel. */
function render(size, layers) {
  const pixels = new Uint8Array(size * size * 4);
  const S = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const x = (px + (sx + 0.5) / S) / size;
          const y = (py + (sy + 0.5) / S) / size;
          // "over" compositing of the layers at this sample (premultiplied)
          let sr = 0, sg = 0, sb = 0, sa = 0;
          for (const { shape, rgb, alpha = 1 } of layers) {
            if (!shape(x, y)) continue;
            sr = rgb[0] * alpha + sr * (1 - alpha);
            sg = rgb[1] * alpha + sg * (1 - alpha);
            sb = rgb[2] * alpha + sb * (1 - alpha);
            sa = alpha + sa * (1 - alpha);
          }
          r += sr; g += sg; b += sb; a += sa;
        }
      }
      const n = S * S;
      const i = (py * size + px) * 4;
      const alpha = a / n;
      pixels[i + 3] = Math.round(alpha * 255);
      if (alpha > 0) {
        pixels[i] = Math.round(r / n / alpha);
        pixels[i + 1] = Math.round(g / n / alpha);
        pixels[i + 2] = Math.round(b / n / alpha);
      }
    }
  }
  return pixels;
}

// ---- The icons ------------------------------------------------------------------------------

/** App icon: a dark card with a white ring (the published server) and a green dot. */
function appIcon(size) {
  return render(size, [
    { shape: roundedSquare(0.08, 0.18), rgb: CARD },
    { shape: ring(0.5, 0.5, 0.3, 0.07), rgb: WHITE },
    { shape: disc(0.5, 0.5, 0.14), rgb: DOT.published },
  ]);
}

/** Coloured tray icon: the card with a dot in the state's colour. */
function trayIcon(size, state) {
  return render(size, [
    { shape: roundedSquare(0.04, 0.2), rgb: CARD },
    { shape: disc(0.5, 0.5, 0.27), rgb: WHITE },
    { shape: disc(0.5, 0.5, 0.2), rgb: DOT[state] },
  ]);
}

/** macOS template: black with alpha only; the shape carries the state. */
function templateIcon(size, state) {
  const black = [0, 0, 0];
  const outline = minus(roundedSquare(0.06, 0.2), roundedSquare(0.06 + 0.09, 0.12));
  switch (state) {
    case 'unpublished': return render(size, [{ shape: outline, rgb: black }, { shape: ring(0.5, 0.5, 0.2, 0.08), rgb: black }]);
    case 'connecting': return render(size, [{ shape: outline, rgb: black }, { shape: disc(0.5, 0.5, 0.2), rgb: black, alpha: 0.45 }]);
    case 'published': return render(size, [{ shape: outline, rgb: black }, { shape: disc(0.5, 0.5, 0.2), rgb: black }]);
    case 'error': return render(size, [{ shape: minus(roundedSquare(0.06, 0.2), disc(0.5, 0.5, 0.2)), rgb: black }]);
  }
  throw new Error(`unknown state ${state}`);
}

function write(rel, size, pixels) {
  const file = path.join(OUT, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, png(size, pixels));
  return rel;
}

const written = [];
written.push(write('icon.png', 1024, appIcon(1024)));
for (const n of [16, 32, 48, 64, 128, 256, 512, 1024]) written.push(write(`png/${n}x${n}.png`, n, appIcon(n)));
for (const state of STATES) {
  for (const base of [16, 32]) {
    written.push(write(`tray/${state}-${base}.png`, base, trayIcon(base, state)));
    written.push(write(`tray/${state}-${base}@2x.png`, base * 2, trayIcon(base * 2, state)));
  }
  written.push(write(`tray/mac/${state}Template.png`, 16, templateIcon(16, state)));
  written.push(write(`tray/mac/${state}Template@2x.png`, 32, templateIcon(32, state)));
}
console.log(`wrote ${written.length} icons under ${path.relative(process.cwd(), OUT) || OUT}`);
