/**
 * A downloaded model's body, read within the cap on a model.tar.gz: refused on its declared
 * Content-Length before a byte is read, and counted while streaming (a server may not declare
 * one, or lie), so memory never holds more than the cap. A body shorter than it declared is a
 * dropped connection, worth a retry.
 */
import { MODEL_CAPS, mib } from "../core/archive.js";
import { ModelFetchError } from "./model-retry.js";

const tooLarge = (bytes: string) =>
  new ModelFetchError(
    `the object is ${bytes} bytes, over the ${mib(MODEL_CAPS.compressedBytes)} cap on a model.tar.gz: refusing the model`,
    false,
  );

/** Refuse a declared length over the cap, before reading the body. */
export function checkDeclaredLength(declared: number | undefined): void {
  if (declared !== undefined && declared > MODEL_CAPS.compressedBytes)
    throw tooLarge(String(declared));
}

export async function readModelBody(
  chunks: AsyncIterable<Uint8Array>,
  declared: number | undefined,
  stop: () => void,
): Promise<Uint8Array> {
  checkDeclaredLength(declared);
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    length += chunk.length;
    if (length > MODEL_CAPS.compressedBytes) {
      stop();
      throw tooLarge(`more than ${MODEL_CAPS.compressedBytes}`);
    }
    parts.push(chunk);
  }
  if (declared !== undefined && length !== declared) {
    throw new ModelFetchError(
      `the body ended after ${length} of the ${declared} bytes its Content-Length declared`,
      true,
    );
  }
  return Buffer.concat(parts, length);
}
