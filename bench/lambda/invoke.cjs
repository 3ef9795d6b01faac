/**
 * Runs the deployed Lambda bundle in a fresh node process, as the Lambda runtime would: require
 * the bundle (its init phase starts the S3 fetch), then invoke `handler` with an API Gateway
 * payload 2.0 event for `POST /predict` with one measurement object.
 *
 *   node bench/lambda/invoke.cjs cold BUNDLE RESULT_FILE
 *     one invocation; writes the times since process start (performance.timeOrigin)
 *   node bench/lambda/invoke.cjs warm BUNDLE RESULT_FILE WARMUP N
 *     WARMUP then N invocations, each timed; writes their durations in µs
 *
 * The handler's logs and EMF metrics go to stdout, which the benchmark sends to /dev/null.
 */
const { writeFileSync } = require("node:fs");

const [mode, bundle, resultFile, warmupArg, countArg] = process.argv.slice(2);

const BODY = JSON.stringify({
  sepal_length: 5.1,
  sepal_width: 3.5,
  petal_length: 1.4,
  petal_width: 0.2,
});

function event(n) {
  return {
    version: "2.0",
    routeKey: "POST /predict",
    rawPath: "/predict",
    rawQueryString: "",
    headers: { "content-type": "application/json", "user-agent": "bench", host: "bench" },
    requestContext: {
      accountId: "123456789012",
      apiId: "bench",
      domainName: "bench.execute-api.us-east-1.amazonaws.com",
      domainPrefix: "bench",
      http: {
        method: "POST",
        path: "/predict",
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: "bench",
      },
      requestId: `req-${n}`,
      routeKey: "POST /predict",
      stage: "$default",
      time: "01/Jan/2025:00:00:00 +0000",
      timeEpoch: 1735689600000,
    },
    body: BODY,
    isBase64Encoded: false,
  };
}

function context(n) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "iris-mlops-bench",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:iris-mlops-bench",
    memoryLimitInMB: "1024",
    awsRequestId: `aws-req-${n}`,
    logGroupName: "/aws/lambda/iris-mlops-bench",
    logStreamName: "bench",
    getRemainingTimeInMillis: () => 30_000,
    done() {},
    fail() {},
    succeed() {},
  };
}

function check(response) {
  if (response.statusCode !== 200)
    throw new Error(`status ${response.statusCode}: ${response.body}`);
  const body = JSON.parse(response.body);
  if (typeof body.species !== "string") throw new Error(`no species in ${response.body}`);
  return body;
}

async function cold() {
  const started = performance.now();
  const { handler } = require(bundle);
  const loaded = performance.now();
  const body = check(await handler(event(0), context(0)));
  const answered = performance.now();
  writeFileSync(
    resultFile,
    JSON.stringify({
      // ms since this process's time origin (its start)
      startedMs: started,
      loadedMs: loaded,
      answeredMs: answered,
      // wall clock of the answer, for the parent's spawn → answer time
      answeredEpochMs: performance.timeOrigin + answered,
      species: body.species,
    }),
  );
}

async function warm() {
  const warmup = Number(warmupArg);
  const count = Number(countArg);
  const { handler } = require(bundle);
  for (let i = 0; i < warmup; i++) check(await handler(event(i), context(i)));
  const micros = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const ev = event(warmup + i);
    const ctx = context(warmup + i);
    const t0 = process.hrtime.bigint();
    const response = await handler(ev, ctx);
    const t1 = process.hrtime.bigint();
    if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
    micros[i] = Number(t1 - t0) / 1000;
  }
  writeFileSync(resultFile, JSON.stringify({ micros: Array.from(micros) }));
}

// exit at once: the SDK's keep-alive sockets would otherwise hold the process open
(mode === "cold" ? cold() : warm()).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  },
);
