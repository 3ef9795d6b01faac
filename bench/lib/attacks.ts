/**
 * The abuse classes of the hardening issue, driven over loopback sockets against a running
 * `iris-mlops serve`, each bounded in time and count. Shared by `npm run attack` (the
 * before/after table) and tests/attack (the budgets as invariants). Every class reports what it
 * sent, the 5xx it got (the documented 503 counted apart), the requests that got neither an
 * answer nor a close (hangs), the answers cut short, and the worst /ping time while it ran.
 */
import { connect, type Socket } from "node:net";

export interface Target {
  port: number;
  /** True once the server process has exited. */
  exited(): boolean;
}

export interface Outcome {
  sent: number;
  fiveXX: number;
  /** 503 with Retry-After: the documented answer to an exhausted budget. */
  busy: number;
  hangs: number;
  /** 200 answers whose body came shorter than their Content-Length (or with none). */
  truncated: number;
  notes: string[];
}

export interface Scale {
  /** Bytes of each large body (6 MiB, the /invocations limit, by default). */
  bigBytes: number;
  /** How long each class may run, in ms. */
  classMs: number;
  /** Connections for the flood. */
  flood: number;
}

export const FULL_SCALE: Scale = { bigBytes: 6 * 1024 * 1024 - 1024, classMs: 12_000, flood: 1500 };

const CSV_ROW = "5.1,3.5,1.4,0.2\n";
const JSONL_ROW = '{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}\n';
const fill = (row: string, bytes: number) => row.repeat(Math.floor(bytes / row.length));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What came back on one connection: the answers, parsed by Content-Length, bodies counted. */
export class Exchange {
  readonly answers: { status: number; length: number | undefined; received: number }[] = [];
  closed = false;
  readonly socket: Socket;
  private head = Buffer.alloc(0);
  private inBody = -1;

  constructor(port: number, readAnswers = true) {
    this.socket = connect(port, "127.0.0.1");
    this.socket.setNoDelay(true);
    this.socket.on("error", () => {});
    this.socket.on("close", () => {
      this.closed = true;
    });
    if (readAnswers) this.socket.on("data", (chunk: Buffer) => this.take(chunk));
    else this.socket.pause();
  }

  /** Written, or undefined when the connection is gone (resolves once the bytes are taken). */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) resolve();
      else this.socket.write(data, () => resolve());
    });
  }

  /** True once `count` answers have come complete, or the server closed the connection. */
  async settled(count: number, limitMs: number): Promise<boolean> {
    const deadline = Date.now() + limitMs;
    while (Date.now() < deadline) {
      if (this.closed || this.complete() >= count) return true;
      await sleep(20);
    }
    return false;
  }

  complete(): number {
    return this.answers.filter((a) => a.length !== undefined && a.received >= a.length).length;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private take(chunk: Buffer): void {
    let data = chunk;
    while (data.length > 0) {
      if (this.inBody >= 0) {
        const answer = this.answers[this.inBody] as Exchange["answers"][number];
        const want = (answer.length ?? Number.POSITIVE_INFINITY) - answer.received;
        const used = Math.min(want, data.length);
        answer.received += used;
        data = data.subarray(used);
        if (answer.length !== undefined && answer.received >= answer.length) this.inBody = -1;
        continue;
      }
      this.head = Buffer.concat([this.head, data]);
      data = Buffer.alloc(0);
      const end = this.head.indexOf("\r\n\r\n");
      if (end < 0) return;
      const text = this.head.subarray(0, end).toString("latin1");
      const status = Number(text.split(" ")[1]);
      const match = /\r\ncontent-length:\s*(\d+)/i.exec(text);
      this.answers.push({ status, length: match ? Number(match[1]) : undefined, received: 0 });
      this.inBody = this.answers.length - 1;
      data = this.head.subarray(end + 4);
      this.head = Buffer.alloc(0);
      const answer = this.answers[this.inBody] as Exchange["answers"][number];
      if (answer.length === 0) this.inBody = -1;
    }
  }
}

function tally(outcome: Outcome, exchanges: readonly Exchange[], expected: number[]): void {
  exchanges.forEach((exchange, i) => {
    for (const answer of exchange.answers) {
      if (answer.status === 503) outcome.busy++;
      else if (answer.status >= 500) outcome.fiveXX++;
      if (answer.status === 200 && (answer.length === undefined || answer.received < answer.length))
        outcome.truncated++;
    }
    if (!exchange.closed && exchange.complete() < (expected[i] ?? 1)) outcome.hangs++;
  });
}

const post = (path: string, type: string, accept: string, length: number) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nAccept: ${accept}\r\nContent-Length: ${length}\r\n\r\n`;

const empty = (): Outcome => ({ sent: 0, fiveXX: 0, busy: 0, hangs: 0, truncated: 0, notes: [] });

export type Attack = (target: Target, scale: Scale) => Promise<Outcome>;

/** Two 6 MiB CSV bodies sent chunked, one byte per chunk. */
const tinyChunks: Attack = async ({ port }, scale) => {
  const outcome = empty();
  const body = fill(CSV_ROW, scale.bigBytes);
  const deadline = Date.now() + scale.classMs;
  const exchanges = [new Exchange(port), new Exchange(port)];
  await Promise.all(
    exchanges.map(async (exchange) => {
      outcome.sent++;
      await exchange.write(
        "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nAccept: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n",
      );
      const batch = 4096; // chunks per write, each chunk one byte
      for (let at = 0; at < body.length && Date.now() < deadline; at += batch) {
        let wire = "";
        for (let i = at; i < Math.min(body.length, at + batch); i++) wire += `1\r\n${body[i]}\r\n`;
        await exchange.write(wire);
        if (exchange.closed || exchange.answers.length > 0) break;
      }
      if (Date.now() < deadline) await exchange.write("0\r\n\r\n");
    }),
  );
  const finished = await Promise.all(
    exchanges.map((e) => e.settled(1, Math.max(1000, deadline - Date.now()))),
  );
  const allSent = exchanges.map(() => Date.now() < deadline);
  if (finished.includes(false)) outcome.notes.push("body not all sent within the class's time");
  // a body the class ran out of time to send is owed no answer
  tally(
    outcome,
    exchanges,
    allSent.map((sent) => (sent ? 1 : 0)),
  );
  for (const e of exchanges) e.destroy();
  return outcome;
};

/** Twenty 6 MiB JSON-lines requests whose answers are never read. */
const unreadAnswers: Attack = async ({ port }, scale) => {
  const outcome = empty();
  const body = fill(JSONL_ROW, scale.bigBytes);
  const wire = `${post("/invocations", "application/jsonlines", "application/jsonlines", Buffer.byteLength(body))}${body}`;
  const exchanges = Array.from({ length: 20 }, () => new Exchange(port, false));
  await Promise.all(exchanges.map((e) => e.write(wire)));
  outcome.sent = exchanges.length;
  await sleep(scale.classMs);
  for (const e of exchanges) e.destroy();
  return outcome;
};

/** The outcome of requests that each owe one answer, once they have it or the class's time is up. */
async function answeredOnce(exchanges: readonly Exchange[], scale: Scale): Promise<Outcome> {
  const outcome = empty();
  outcome.sent = exchanges.length;
  await Promise.all(exchanges.map((e) => e.settled(1, scale.classMs * 3)));
  tally(
    outcome,
    exchanges,
    exchanges.map(() => 1),
  );
  for (const e of exchanges) e.destroy();
  return outcome;
}

/** Five 6 MiB CSV batches at once, answered in JSON and read. */
const largeBatches: Attack = async ({ port }, scale) => {
  const body = fill(CSV_ROW, scale.bigBytes);
  const wire = `${post("/invocations", "text/csv", "application/json", body.length)}${body}`;
  const exchanges = Array.from({ length: 5 }, () => new Exchange(port));
  await Promise.all(exchanges.map((e) => e.write(wire)));
  return answeredOnce(exchanges, scale);
};

/** 200 connections that declare a body and send it one byte per 500 ms. */
const slowBodies: Attack = async ({ port }, scale) => {
  const outcome = empty();
  const exchanges = Array.from({ length: 200 }, () => new Exchange(port));
  await Promise.all(
    exchanges.map((e) => e.write(post("/predict", "application/json", "application/json", 1000))),
  );
  outcome.sent = exchanges.length;
  const deadline = Date.now() + scale.classMs;
  while (Date.now() < deadline) {
    await Promise.all(exchanges.map((e) => e.write(" ")));
    await sleep(500);
  }
  for (const e of exchanges) e.destroy();
  return outcome;
};

const ROW = '{"instances":[[5.1,3.5,1.4,0.2]]}';
const PREDICT = `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: ${ROW.length}\r\n\r\n${ROW}`;
/** Each: what is sent on one connection, and how many answers it must get. */
const FRAMINGS: [string, number][] = [
  [`${PREDICT}GARBAGE\r\n\r\n`, 2],
  [`${PREDICT}${PREDICT}${PREDICT}`, 3],
  ["GET /ping HTTP/1.1\r\n\r\n", 1],
  [
    `POST /predict HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: ${ROW.length}\r\n\r\n`,
    1,
  ],
  ["CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", 1],
  [
    `POST http://127.0.0.1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: ${ROW.length}\r\n\r\n${ROW}`,
    1,
  ],
  [
    "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    1,
  ],
  ["GET /ping HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 1],
  ["\u0000\u0001\u0002 / HTTP/1.1\r\n\r\n", 1],
];

/** Pipelined requests, garbage after them, odd framing: every one must be answered. */
const framing: Attack = async ({ port }, scale) => {
  const outcome = empty();
  const deadline = Date.now() + scale.classMs;
  for (let round = 0; round < 20 && Date.now() < deadline; round++) {
    const exchanges = FRAMINGS.map(() => new Exchange(port));
    await Promise.all(exchanges.map((e, i) => e.write((FRAMINGS[i] as [string, number])[0])));
    outcome.sent += FRAMINGS.reduce((sum, [, answers]) => sum + answers, 0);
    await Promise.all(
      exchanges.map((e, i) => e.settled((FRAMINGS[i] as [string, number])[1], 5000)),
    );
    tally(
      outcome,
      exchanges,
      FRAMINGS.map(([, answers]) => answers),
    );
    exchanges.forEach((e, i) => {
      const missing = (FRAMINGS[i] as [string, number])[1] - e.answers.length;
      if (missing > 0 && round === 0)
        outcome.notes.push(`framing ${i}: ${missing} answer(s) missing`);
      e.destroy();
    });
  }
  return outcome;
};

/** Many connections opened at once and left idle. */
const connectionFlood: Attack = async ({ port }, scale) => {
  const outcome = empty();
  const exchanges: Exchange[] = [];
  for (let i = 0; i < scale.flood; i++) {
    exchanges.push(new Exchange(port));
    if (i % 100 === 99) await sleep(10);
  }
  outcome.sent = exchanges.length;
  await sleep(Math.min(scale.classMs, 5000));
  for (const e of exchanges) e.destroy();
  return outcome;
};

/**
 * Twelve 6 MiB JSON batches that end at once (all but their last byte sent first): JSON.parse
 * makes about ten times a body's bytes of each, so the trees, not the bodies, are what weighs.
 */
const jsonBatches: Attack = async ({ port }, scale) => {
  const row = "[1,1,1,1],";
  const body = `[${fill(row, scale.bigBytes - row.length)}[1,1,1,1]]`;
  const wire = Buffer.from(
    `${post("/invocations", "application/json", "text/csv", body.length)}${body}`,
  );
  const exchanges = Array.from({ length: 12 }, () => new Exchange(port));
  await Promise.all(exchanges.map((e) => e.write(wire.subarray(0, wire.length - 1))));
  await sleep(500);
  await Promise.all(exchanges.map((e) => e.write(wire.subarray(wire.length - 1))));
  return answeredOnce(exchanges, scale);
};

export const ATTACKS: Record<string, Attack> = {
  "1-byte chunks (2 × 6 MiB)": tinyChunks,
  "unread answers (20 × 6 MiB)": unreadAnswers,
  "large batches (5 × 6 MiB)": largeBatches,
  "JSON batches ending at once (12 × 6 MiB)": jsonBatches,
  "slow bodies (200 conns)": slowBodies,
  "framing + pipelining": framing,
  "connection flood": connectionFlood,
};

/** Four 6 MiB batches in flight, then SIGTERM: every answer whole or visibly cut. */
export async function sigtermUnderLoad(
  target: Target,
  scale: Scale,
  signal: () => void,
): Promise<Outcome & { exitMs: number | undefined }> {
  const outcome = empty();
  const body = fill(CSV_ROW, scale.bigBytes);
  const wire = `${post("/invocations", "text/csv", "application/json", body.length)}${body}`;
  const exchanges = Array.from({ length: 4 }, () => new Exchange(target.port));
  await Promise.all(exchanges.map((e) => e.write(wire)));
  outcome.sent = exchanges.length;
  await sleep(300);
  const signalled = Date.now();
  signal();
  const deadline = signalled + 20_000;
  while (!target.exited() && Date.now() < deadline) await sleep(20);
  const exitMs = target.exited() ? Date.now() - signalled : undefined;
  await Promise.all(exchanges.map((e) => e.settled(1, 2000)));
  tally(
    outcome,
    exchanges,
    exchanges.map(() => 0),
  );
  const whole = exchanges.filter((e) => e.complete() > 0).length;
  outcome.notes.push(`${whole}/4 answered whole, exit ${exitMs ?? "none"} ms after SIGTERM`);
  for (const e of exchanges) e.destroy();
  return { ...outcome, exitMs };
}

/** /ping probed on a new connection every 100 ms until stopped; the worst time, a miss as 5 s. */
export function probePing(port: number): { stop(): Promise<{ worstMs: number; probes: number }> } {
  let running = true;
  let worstMs = 0;
  let probes = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const exchange = new Exchange(port);
      await exchange.write("GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      const ok = await exchange.settled(1, 5000);
      exchange.destroy();
      worstMs = Math.max(worstMs, ok ? performance.now() - started : 5000);
      probes++;
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { worstMs, probes };
    },
  };
}
