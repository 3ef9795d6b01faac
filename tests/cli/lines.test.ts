/**
 * bench/lib/read-lines.ts, the per-line baseline's reader: lines of a byte stream, however it
 * is cut into chunks, each under a byte limit.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Line, readLines } from "../../bench/lib/read-lines.js";

async function collect(chunks: (Buffer | string)[], max: number): Promise<Line[]> {
  const lines: Line[] = [];
  for await (const line of readLines(chunks, max)) lines.push(line);
  return lines;
}

/** What the lines must be: split on \n, one \r before it dropped, long ones as their byte count. */
function reference(text: string, max: number): Line[] {
  const pieces = text.split("\n");
  if (pieces.at(-1) === "") pieces.pop();
  return pieces.map((piece) => {
    const bytes = Buffer.from(piece);
    const length = bytes.at(-1) === 0x0d ? bytes.length - 1 : bytes.length;
    if (length <= max) return { text: bytes.toString("utf8", 0, length) };
    return { tooLong: bytes.length > max + 1 ? bytes.length : length };
  });
}

describe("cli: readLines", () => {
  it("gives the lines of any text cut anywhere into chunks (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(fc.constantFrom("\n", "\r\n", "\r", "5.1,3.5", "€", "x".repeat(9)), fc.string()),
          {
            maxLength: 30,
          },
        ),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.integer({ min: 1, max: 12 }),
        async (pieces, cuts, max) => {
          const bytes = Buffer.from(pieces.join(""));
          const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...at].map((start, i) => bytes.subarray(start, at[i] ?? bytes.length));
          assert.deepEqual(await collect(chunks, max), reference(bytes.toString(), max));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("reads string chunks, a last line without a newline, and \\r\\n endings", async () => {
    assert.deepEqual(await collect(["a,b\r\n", "c", "d\n\ne"], 10), [
      { text: "a,b" },
      { text: "cd" },
      { text: "" },
      { text: "e" },
    ]);
  });

  it("counts a line over the limit without keeping it", async () => {
    const chunks = ["ok\n", ..."y".repeat(50).split(""), "\nok\n"];
    assert.deepEqual(await collect(chunks, 8), [{ text: "ok" }, { tooLong: 50 }, { text: "ok" }]);
  });
});
