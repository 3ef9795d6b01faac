/**
 * Which model answered, on the server (real sockets): `x-model-version` on every answer, from
 * every route and every refusal, those written straight to the socket included; and SageMaker's
 * `X-Amzn-SageMaker-Custom-Attributes` on the predictions of /invocations, the one header
 * InvokeEndpoint hands back to its caller.
 */
import assert from "node:assert/strict";
import type { Predictor } from "../../core/predictor.js";
import { AppServers } from "../helpers/app-servers.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";

const ROW = "[5.1,3.5,1.4,0.2]";
const CSV_ROW = "5.1,3.5,1.4,0.2\n";
const request = (head: string, body = "") =>
  `${head}\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const post = (path: string, type: string, body: string, accept = "*/*") =>
  request(`POST ${path} HTTP/1.1\r\nContent-Type: ${type}\r\nAccept: ${accept}`, body);

/** One request of each kind the server answers: what, its bytes, the status. */
const EVERY_ANSWER: [string, string, number][] = [
  ["GET /ping", request("GET /ping HTTP/1.1"), 200],
  ["HEAD /ping", request("HEAD /ping HTTP/1.1"), 200],
  ["GET /health", request("GET /health HTTP/1.1"), 200],
  ["GET /execution-parameters", request("GET /execution-parameters HTTP/1.1"), 200],
  ["POST /predict", post("/predict", "application/json", ROW), 200],
  ["POST /invocations, CSV", post("/invocations", "text/csv", CSV_ROW, "text/csv"), 200],
  ["POST /invocations, JSON", post("/invocations", "application/json", `[${ROW}]`), 200],
  ["an unknown route", request("GET /nowhere HTTP/1.1"), 404],
  ["a wrong method", request("GET /predict HTTP/1.1"), 405],
  ["a broken percent-encoding", request("GET /%zz HTTP/1.1"), 400],
  ["bad JSON", post("/predict", "application/json", "{"), 400],
  ["a bad CSV row", post("/invocations", "text/csv", "1,2\n"), 400],
  ["an unsupported Content-Type", post("/invocations", "text/plain", CSV_ROW), 415],
  ["an unacceptable Accept", post("/invocations", "text/csv", CSV_ROW, "application/xml"), 406],
  [
    "a declared body over the limit",
    "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
    413,
  ],
  [
    "an unknown Expect",
    "POST /predict HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n",
    417,
  ],
  [
    "a transfer coding other than chunked",
    "POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    501,
  ],
  // written straight to the socket, before or without a request
  ["no Host", "GET /ping HTTP/1.1\r\n\r\n", 400],
  ["CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 405],
  ["a request line that is not HTTP", "GARBAGE\r\n\r\n", 400],
  [
    "Content-Length and Transfer-Encoding",
    "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
    400,
  ],
  [
    "headers past node's limit",
    `GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    431,
  ],
];

describe("server/app.ts: which model answered (real sockets)", () => {
  let model: TrainedModel;
  const servers = new AppServers();
  before(async () => {
    model = await trainedModel();
  });
  afterEach(() => servers.closeAll());

  it("puts x-model-version on every answer: each route, each refusal, those written to the socket", async () => {
    const { open } = await servers.serve(model.predictor);
    for (const [what, bytes, status] of EVERY_ANSWER) {
      const connection = await open();
      await connection.write(bytes);
      const res = await connection.response();
      assert.equal(res.status, status, `${what}: ${res.body}`);
      assert.equal(res.headers["x-model-version"], model.modelVersion, what);
    }
  });

  it("puts it on a 500 too: the model that was asked failed", async () => {
    const broken: Predictor = {
      ...model.predictor,
      predictBatch: () => {
        throw new Error("boom");
      },
      // CSV bodies are predicted in columns (server/app.ts answerLines)
      predictColumns: () => {
        throw new Error("boom");
      },
    };
    const { port } = await servers.serve(broken);
    const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: CSV_ROW,
    });
    assert.equal(res.status, 500);
    assert.equal(res.headers.get("x-model-version"), model.modelVersion);
  });

  describe("X-Amzn-SageMaker-Custom-Attributes", () => {
    const invoke = (port: number, type: string, accept: string, body: string) =>
      fetch(`http://127.0.0.1:${port}/invocations`, {
        method: "POST",
        headers: { "content-type": type, accept },
        body,
      });

    it("says model-version=<version> on every prediction of /invocations, small or streamed", async () => {
      const { port } = await servers.serve(model.predictor);
      // 10,000 rows: an answer over 64 KiB, written a slice at a time (server/reply.ts)
      const many = CSV_ROW.repeat(10_000);
      const jsonLines = `${ROW}\n${ROW}\n`;
      for (const [type, accept, body] of [
        ["text/csv", "text/csv", CSV_ROW],
        ["text/csv", "text/csv", many],
        ["text/csv", "application/json", many],
        ["application/json", "application/json", `{"instances":[${ROW}]}`],
        ["application/jsonlines", "application/jsonlines", jsonLines],
      ] as const) {
        const res = await invoke(port, type, accept, body);
        const text = await res.text();
        assert.equal(res.status, 200, text);
        const attributes = res.headers.get("x-amzn-sagemaker-custom-attributes");
        assert.equal(attributes, `model-version=${model.modelVersion}`, `${type} → ${accept}`);
        // InvokeEndpoint forwards at most 1024 visible US-ASCII characters
        assert.match(attributes, /^[\x21-\x7e]{1,1024}$/);
        assert.equal(res.headers.get("x-model-version"), model.modelVersion);
      }
    });

    it("is not on other routes, nor on refusals (InvokeEndpoint turns those into a ModelError, which has no CustomAttributes)", async () => {
      const { port } = await servers.serve(model.predictor);
      const answers = [
        await invoke(port, "text/csv", "text/csv", "1,2\n"),
        await invoke(port, "text/plain", "text/csv", CSV_ROW),
        await fetch(`http://127.0.0.1:${port}/predict`, { method: "POST", body: ROW }),
        await fetch(`http://127.0.0.1:${port}/ping`),
      ];
      for (const res of answers) {
        await res.arrayBuffer();
        assert.equal(res.headers.get("x-amzn-sagemaker-custom-attributes"), null, res.url);
        assert.equal(res.headers.get("x-model-version"), model.modelVersion);
      }
    });
  });
});
