/**
 * A large /invocations answer, kept small until the client takes it. Each distinct item text
 * (a CSV or JSON-lines line, a JSON array item) is kept once, and the answer as 4 bytes per row
 * naming its text: a forest's answers repeat (three species, votes in steps of 1/trees), so the
 * 37 MB JSON answer to a 6 MiB CSV batch is kept in about 1.6 MB. Its exact length is known
 * before the first byte is written (every answer carries Content-Length, so that a cut is
 * visible), and its bytes are made a slice at a time, as the socket takes them
 * (Responder.stream in server/reply.ts): an answer nobody reads costs no more than that.
 */
import type { InvocationFormatter } from "../serving/invocations.js";

/** About how much answer text is made at a time for the socket. */
export const ANSWER_SLICE_CHARS = 64 * 1024;

/** What a distinct text costs beyond its bytes: the string's header and its map entry. */
const PER_TEXT_BYTES = 64;

/** An answer's text made slice by slice, with its length in bytes known up front. */
export interface SlicedText {
  /** The whole text's length in UTF-8 bytes. */
  readonly bytes: number;
  /** The next slice of the text; undefined after the last. */
  slice(): string | undefined;
}

export class AnswerText implements SlicedText {
  bytes: number;
  private readonly texts: string[] = [];
  private readonly sizes: number[] = [];
  private readonly indexOf = new Map<string, number>();
  private readonly rows: Uint32Array;
  private count = 0;
  private readonly separatorBytes: number;
  /** The next row slice() writes; the head goes with row 0. */
  private cursor = 0;
  private finished = false;

  /**
   * An answer of at most `rows` rows, whose references are reserved now, before any work: a
   * batch refused for want of budget is refused before it is predicted, not after.
   */
  static reserved(
    format: InvocationFormatter,
    rows: number,
    reserve: (bytes: number) => boolean,
  ): AnswerText | undefined {
    return reserve(rows * Uint32Array.BYTES_PER_ELEMENT)
      ? new AnswerText(format, rows, reserve)
      : undefined;
  }

  private constructor(
    private readonly format: InvocationFormatter,
    rows: number,
    /** Asks the in-flight budget for more bytes; false when it has none. */
    private readonly reserve: (bytes: number) => boolean,
  ) {
    this.rows = new Uint32Array(rows);
    this.bytes = Buffer.byteLength(format.head) + Buffer.byteLength(format.tail);
    this.separatorBytes = Buffer.byteLength(format.separator);
  }

  /** Add the next row's text; false (nothing added) when the budget cannot hold a new text. */
  add(text: string): boolean {
    let index = this.indexOf.get(text);
    if (index === undefined) {
      const size = Buffer.byteLength(text);
      if (!this.reserve(size + PER_TEXT_BYTES)) return false;
      index = this.texts.length;
      this.texts.push(text);
      this.sizes.push(size);
      this.indexOf.set(text, index);
    }
    if (this.count === this.rows.length)
      throw new RangeError("more rows than the answer was sized for");
    if (this.count > 0) this.bytes += this.separatorBytes;
    this.rows[this.count++] = index;
    this.bytes += this.sizes[index] as number;
    return true;
  }

  slice(): string | undefined {
    if (this.finished) return undefined;
    const { texts, rows, count } = this;
    const separator = this.format.separator;
    let text = this.cursor === 0 ? this.format.head : "";
    while (this.cursor < count && text.length < ANSWER_SLICE_CHARS) {
      if (this.cursor > 0) text += separator;
      text += texts[rows[this.cursor++] as number];
    }
    if (this.cursor === count) {
      text += this.format.tail;
      this.finished = true;
    }
    return text;
  }
}
