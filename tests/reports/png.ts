/**
 * Just enough of PNG to count a screenshot's non-white pixels: 8-bit RGB or RGBA, not
 * interlaced (what Chromium writes), the five row filters undone.
 */
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";

export function nonWhitePixels(png: Buffer): { pixels: number; nonWhite: number } {
  assert.equal(png.subarray(1, 4).toString("latin1"), "PNG");
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.subarray(offset + 4, offset + 8).toString("latin1");
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      assert.equal(body[8], 8, "8-bit");
      assert.equal(body[12], 0, "not interlaced");
      channels = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0;
      assert.ok(channels, `colour type ${body[9]}`);
    } else if (type === "IDAT") data.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const previous = Buffer.alloc(stride);
  const line = Buffer.alloc(stride);
  let nonWhite = 0;
  for (let y = 0; y < height; y++) {
    const start = y * (stride + 1);
    const filter = raw[start] as number;
    for (let i = 0; i < stride; i++) {
      const x = raw[start + 1 + i] as number;
      const a = i >= channels ? (line[i - channels] as number) : 0;
      const b = previous[i] as number;
      const c = i >= channels ? (previous[i - channels] as number) : 0;
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][
        filter
      ];
      assert.ok(predictor !== undefined, `filter ${filter}`);
      line[i] = (x + predictor) & 0xff;
    }
    for (let i = 0; i < stride; i += channels) {
      if (
        (line[i] as number) < 250 ||
        (line[i + 1] as number) < 250 ||
        (line[i + 2] as number) < 250
      )
        nonWhite++;
    }
    line.copy(previous);
  }
  return { pixels: width * height, nonWhite };
}
