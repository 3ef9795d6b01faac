/** serving/errors.ts and limits: one error shape, and what maps to which status. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { InputError } from "../../core/input.js";
import { MAX_JSON_DEPTH } from "../../core/json-scan.js";
import { errorBody, HttpError, parseJsonBody, toHttpError } from "../../serving/errors.js";
import { API_MAX_BODY_BYTES } from "../../serving/limits.js";
import { checkBodySize } from "../../serving/predict-api.js";

describe("serving/errors.ts", () => {
  it("builds the one error body", () => {
    assert.deepEqual(errorBody("bad_json", "nope"), {
      error: { code: "bad_json", message: "nope" },
    });
  });

  it("keeps an HttpError as it is", () => {
    const error = new HttpError(413, "payload_too_large", "too big");
    assert.equal(toHttpError(error), error);
  });

  it("maps an InputError to 400 bad_input with its message (the field named)", () => {
    const error = toHttpError(new InputError("instances[0].petal_width", "is missing"));
    assert.equal(error.status, 400);
    assert.equal(error.code, "bad_input");
    assert.equal(error.message, "instances[0].petal_width: is missing");
  });

  it("maps anything else to 500 internal, leaking nothing", () => {
    for (const thrown of [new TypeError("secret"), "secret", undefined, { message: "secret" }]) {
      const error = toHttpError(thrown);
      assert.equal(error.status, 500);
      assert.equal(error.code, "internal");
      assert.doesNotMatch(error.message, /secret/);
    }
  });

  it("parses JSON bodies, and answers 400 bad_json to empty or broken ones", () => {
    assert.deepEqual(parseJsonBody(' {"a": [1]} '), { a: [1] });
    for (const text of ["", "  \n", "{", "undefined", "{'a':1}"]) {
      assert.throws(
        () => parseJsonBody(text),
        (error: unknown) =>
          error instanceof HttpError && error.status === 400 && error.code === "bad_json",
      );
    }
  });

  it("checkBodySize lets the limit through and refuses one byte more", () => {
    checkBodySize(API_MAX_BODY_BYTES);
    assert.throws(
      () => checkBodySize(API_MAX_BODY_BYTES + 1),
      (error: unknown) => error instanceof HttpError && error.status === 413,
    );
    assert.throws(() => checkBodySize(11, 10), /the body is 11 bytes; the limit is 10/);
  });

  it("refuses a body nested past MAX_JSON_DEPTH before parsing it, counting no bracket inside a string", () => {
    const nested = (depth: number, inner = "1") =>
      `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.string(), (depth, text) => {
        const body = nested(depth, JSON.stringify(`${text}[[[[[[[[[{{{{{{{{{`));
        if (depth <= MAX_JSON_DEPTH) assert.deepEqual(parseJsonBody(body), JSON.parse(body));
        else assert.throws(() => parseJsonBody(body), /nests deeper than 8 levels/);
      }),
    );
    // the probe's body: 6 MB of brackets, valid JSON that JSON.parse takes seconds over
    assert.throws(() => parseJsonBody(nested(3_000_000)), /nests deeper/);
  });
});
