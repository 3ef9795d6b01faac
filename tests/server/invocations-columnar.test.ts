/**
 * The columnar /invocations path (serving/invocation-lines.ts, serving/column-answers.ts) answers
 * a CSV or JSON-lines body byte for byte as the per-row path did: the reference here is that
 * path kept as functions (parseInvocation, predictBatch, formatInvocation in
 * serving/invocations.ts), its error answered as the server answers a thrown error. On a large
 * generated payload, bad rows included, and on any small payload fast-check makes of good and
 * bad lines; and the metrics count the same rows by species.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import fc from "fast-check";
import { inject } from "light-my-request";
import { rowsText } from "../../bench/lib/rows.js";
import { type App, buildApp } from "../../server/app.js";
import { errorBody, toHttpError } from "../../serving/errors.js";
import {
  CSV_TYPE,
  formatInvocation,
  JSONLINES_TYPE,
  MEDIA_TYPES,
  type MediaType,
  parseInvocation,
} from "../../serving/invocations.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";

type LineType = typeof CSV_TYPE | typeof JSONLINES_TYPE;

describe("server/app.ts /invocations, columnar: the per-row path's answers, byte for byte", () => {
  let model: TrainedModel;
  let app: App;
  before(async () => {
    model = await trainedModel();
    app = buildApp({ predictor: model.predictor });
  });
  after(() => app.close());

  /** What the per-row path answered: status and body. */
  function reference(type: LineType, accept: MediaType, body: string) {
    // readBody's TextDecoder drops a leading byte-order mark
    const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
    try {
      const rows = parseInvocation(type, text);
      const predictions = model.predictor.predictBatch(rows);
      return {
        status: 200,
        body: formatInvocation(accept, predictions, model.predictor.modelVersion),
      };
    } catch (thrown) {
      const error = toHttpError(thrown);
      return { status: error.status, body: JSON.stringify(errorBody(error.code, error.message)) };
    }
  }

  async function expectSame(type: LineType, accept: MediaType, body: string) {
    const res = await inject(app.handle, {
      method: "POST",
      url: "/invocations",
      headers: { "content-type": type, accept },
      payload: body,
    });
    const expected = reference(type, accept, body);
    assert.equal(res.statusCode, expected.status, res.body.slice(0, 300));
    assert.ok(
      res.body === expected.body,
      `${res.body.slice(0, 200)} vs ${expected.body.slice(0, 200)}`,
    );
  }

  /** `text`'s lines with `bad` put in at `every`-th line (after the first), each in turn. */
  const withBad = (text: string, bad: readonly string[], every: number) =>
    text
      .split("\n")
      .map((line, i) =>
        i > 0 && i % every === 0 ? (bad[(i / every) % bad.length] as string) : line,
      )
      .join("\n");

  const CSV_BAD = [
    "",
    "  ",
    "1,2,3",
    "-1,2,3,4",
    "a,b,c,d",
    '"5.1",3.5,1.4,0.2',
    "1,2,3,4,5",
    "1e400,1,1,1",
    "5,é,1,1",
  ];
  const JSON_BAD = ["", "[1,2,3]", '{"sepal_length":1}', "[-1,2,3,4]", "nope", '[1,2,3,"4"]'];

  for (const accept of MEDIA_TYPES) {
    it(`a large CSV payload, header and bad rows included, answered in ${accept}`, async () => {
      const good = rowsText(20_000, "csv", 11);
      await expectSame(CSV_TYPE, accept, good);
      await expectSame(CSV_TYPE, accept, good.replaceAll("\n", "\r\n"));
      // rows the byte reader leaves to the per-line one, that are still good
      await expectSame(
        CSV_TYPE,
        accept,
        withBad(good, ['"5.1",3.5,1.4,0.2', " 5.1 , 3.5,1.4,0.2", "5.10e0,3.5,1.4,0.2"], 97),
      );
      for (const bad of CSV_BAD) await expectSame(CSV_TYPE, accept, withBad(good, [bad], 15_000));
    });

    it(`a large JSON-lines payload, bad rows included, answered in ${accept}`, async () => {
      const good = rowsText(20_000, "jsonl", 12);
      await expectSame(JSONLINES_TYPE, accept, good);
      await expectSame(
        JSONLINES_TYPE,
        accept,
        withBad(
          good,
          [
            "[ 5.1, 3.5 ,1.4,0.2 ]",
            '{"petal_width":0.2,"petal_length":1.4,"sepal_width":3.5,"sepal_length":5.1}',
          ],
          89,
        ),
      );
      for (const bad of JSON_BAD)
        await expectSame(JSONLINES_TYPE, accept, withBad(good, [bad], 15_000));
    });
  }

  const piece = fc.oneof(
    fc.constantFrom(
      "5.1",
      "3.5",
      "1.4",
      "0.2",
      "6.7",
      "1e1",
      "0",
      "-1",
      "",
      " ",
      '"2"',
      "x",
      "é",
      "1e400",
      "0x1",
      "5.00000000000000001",
    ),
    fc.double({ min: 1e-300, max: 1e300, noNaN: true }).map(String),
  );
  const csvLine = fc.oneof(
    {
      arbitrary: fc.array(piece, { minLength: 4, maxLength: 4 }).map((f) => f.join(",")),
      weight: 6,
    },
    {
      arbitrary: fc.array(piece, { minLength: 0, maxLength: 6 }).map((f) => f.join(",")),
      weight: 1,
    },
    {
      arbitrary: fc.constantFrom(
        "sepal_length,sepal_width,petal_length,petal_width",
        "petal_width,sepal_length,sepal_width,petal_length",
        "a,b,c,d",
      ),
      weight: 1,
    },
  );
  const jsonLine = fc.oneof(
    {
      arbitrary: fc.array(piece, { minLength: 4, maxLength: 4 }).map((f) => `[${f.join(",")}]`),
      weight: 4,
    },
    {
      arbitrary: fc
        .array(piece, { minLength: 4, maxLength: 4 })
        .map(
          (f) =>
            `{"sepal_length":${f[0]},"sepal_width":${f[1]},"petal_length":${f[2]},"petal_width":${f[3]}}`,
        ),
      weight: 2,
    },
    {
      arbitrary: fc.constantFrom("", "[]", "{}", "null", "[1,2,3,4", " [5.1,3.5,1.4,0.2]"),
      weight: 1,
    },
  );
  const body = (line: fc.Arbitrary<string>) =>
    fc
      .tuple(
        fc.boolean(),
        fc.array(fc.tuple(line, fc.constantFrom("\n", "\r\n")), { minLength: 1, maxLength: 12 }),
        fc.constantFrom("", "\n", "\r", "\r\n"),
      )
      .map(([bom, lines, last]) => {
        const text = lines.map(([l, end]) => l + end).join("");
        // the last line's own end replaced by `last`: with none, with a lone CR, ...
        return `${bom ? "\ufeff" : ""}${text.replace(/\r?\n$/, "")}${last}`;
      });

  it("any small CSV payload: the same status and body for every Accept", async () => {
    await fc.assert(
      fc.asyncProperty(body(csvLine), fc.constantFrom(...MEDIA_TYPES), (text, accept) =>
        expectSame(CSV_TYPE, accept, text),
      ),
      { numRuns: 300 },
    );
  });

  it("any small JSON-lines payload: the same status and body for every Accept", async () => {
    await fc.assert(
      fc.asyncProperty(body(jsonLine), fc.constantFrom(...MEDIA_TYPES), (text, accept) =>
        expectSame(JSONLINES_TYPE, accept, text),
      ),
      { numRuns: 300 },
    );
  });

  it("answers /ping and a one-row request while a 5 MB batch is being predicted, before it ends", async () => {
    const served = buildApp({ predictor: model.predictor });
    const url = await served.listen({ host: "127.0.0.1", port: 0 });
    const ended: string[] = [];
    const call = (name: string, method: string, path: string, body?: string) =>
      new Promise<number>((done, fail) => {
        const req = request(
          `${url}${path}`,
          { method, headers: { "content-type": CSV_TYPE, accept: CSV_TYPE } },
          (res) => {
            res.resume();
            res.on("end", () => {
              ended.push(name);
              done(res.statusCode ?? 0);
            });
          },
        );
        req.on("error", fail);
        req.end(body);
      });
    try {
      const big = rowsText(325_000, "csv", 4);
      let sent!: () => void;
      const bodySent = new Promise<void>((r) => {
        sent = r;
      });
      const batch = new Promise<number>((done, fail) => {
        const req = request(
          `${url}/invocations`,
          { method: "POST", headers: { "content-type": CSV_TYPE, accept: CSV_TYPE } },
          (res) => {
            res.resume();
            res.on("end", () => {
              ended.push("batch");
              done(res.statusCode ?? 0);
            });
          },
        );
        req.on("error", fail);
        req.on("finish", sent);
        req.end(big);
      });
      await bodySent;
      const [ping, one] = await Promise.all([
        call("ping", "GET", "/ping"),
        call("one row", "POST", "/invocations", "5.1,3.5,1.4,0.2\n"),
      ]);
      assert.equal(await batch, 200);
      assert.deepEqual([ping, one], [200, 200]);
      assert.equal(ended.at(-1), "batch", `answered in the order ${ended.join(", ")}`);
    } finally {
      await served.close();
    }
  });

  it("counts the rows it answered by species for Prometheus, and none of a refused batch", async () => {
    const counting = buildApp({ predictor: model.predictor });
    try {
      const text = rowsText(5000, "csv", 3);
      const send = (payload: string) =>
        inject(counting.handle, {
          method: "POST",
          url: "/invocations",
          headers: { "content-type": CSV_TYPE, accept: CSV_TYPE },
          payload,
        });
      assert.equal((await send(text)).statusCode, 200);
      assert.equal((await send(`${text}nope\n`)).statusCode, 400);
      const expected = new Map<string, number>();
      let notIris = 0;
      for (const p of model.predictor.predictBatch(parseInvocation(CSV_TYPE, text))) {
        expected.set(p.species, (expected.get(p.species) ?? 0) + 1);
        if (!p.is_iris) notIris++;
      }
      const scraped = (await inject(counting.handle, { method: "GET", url: "/metrics" })).body;
      for (const [species, n] of expected)
        assert.match(
          scraped,
          new RegExp(`iris_predictions_total\\{[^}]*species="${species}"[^}]*\\} ${n}\\n`),
        );
      assert.match(
        scraped,
        new RegExp(`iris_predictions_not_iris_total(\\{[^}]*\\})? ${notIris}\\n`),
      );
    } finally {
      await counting.close();
    }
  });
});
