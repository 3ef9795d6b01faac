/**
 * The open-connections budget over real sockets: a flood of connections that send nothing, or
 * their headers slowly, never holds more than the cap open, never locks out /ping, and never
 * closes a connection whose request is being answered.
 */
import assert from "node:assert/strict";
import type { AppOptions } from "../../server/app.js";
import { DEFAULT_MAX_CONNECTIONS } from "../../server/connections.js";
import { AppServers } from "../helpers/app-servers.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";
import type { RawConnection } from "../helpers/raw-http.js";

const CSV_ROW = "5.1,3.5,1.4,0.2\n";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("server/connections.ts: the open-connections budget (over sockets)", function () {
  this.timeout(60_000);
  let model: TrainedModel;
  const servers = new AppServers();
  const serve = (options: Partial<AppOptions> = {}) => servers.serve(model.predictor, options);

  /** `count` connections, a tenth of them sending the start of their headers and no more. */
  async function flood(open: () => Promise<RawConnection>, count: number) {
    const flooding: RawConnection[] = [];
    for (let i = 0; i < count; i++) {
      const connection = await open();
      if (i % 10 === 0) await connection.write("GET /ping HTTP/1.1\r\nHo");
      flooding.push(connection);
    }
    // the server closes what it closes as the flood arrives; let the closes reach us
    await sleep(300);
    return flooding.filter((connection) => !connection.closed).length;
  }

  async function ping(open: () => Promise<RawConnection>): Promise<number> {
    const connection = await open();
    await connection.write("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
    return (await connection.response()).status;
  }

  before(async () => {
    model = await trainedModel();
  });
  afterEach(() => servers.closeAll());

  it(`keeps at most ${DEFAULT_MAX_CONNECTIONS} connections open under a flood of 2000 idle ones, and answers /ping`, async () => {
    const { open } = await serve();
    const stillOpen = await flood(open, 2000);
    assert.ok(
      stillOpen <= DEFAULT_MAX_CONNECTIONS,
      `${stillOpen} idle connections held open against a cap of ${DEFAULT_MAX_CONNECTIONS}`,
    );
    assert.equal(await ping(open), 200);
  });

  it("makes room by closing idle connections, never one whose request is being answered", async () => {
    const { open } = await serve({ maxConnections: 20 });
    const busy = await open();
    // a request whose body is still arriving
    await busy.write(
      `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nAccept: text/csv\r\nContent-Length: ${CSV_ROW.length * 2}\r\n\r\n${CSV_ROW}`,
    );
    await sleep(50);
    const stillOpen = await flood(open, 200);
    assert.ok(stillOpen <= 20, `${stillOpen} idle connections held open against a cap of 20`);
    assert.equal(busy.closed, false, "the connection of a request in flight was closed");
    assert.equal(await ping(open), 200);
    await busy.write(CSV_ROW);
    const res = await busy.response();
    assert.equal(res.status, 200);
    assert.equal(res.body, "setosa\nsetosa\n");
  });
});
