/**
 * A real S3-compatible server for the tests: s3rver on 127.0.0.1 (a port of its own), a client
 * for it with dummy credentials, and a log of the requests it served (to count GetObject). It
 * can be stopped and started again on the same port, to play an S3 outage.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { tempDir } from "./model.js";

export const S3_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
export const S3_REGION = "us-east-1";

export interface S3Request {
  method: string;
  path: string;
  /** The Authorization header as sent (s3rver does not check signatures itself). */
  authorization?: string | undefined;
}

export class FakeS3 {
  readonly requests: S3Request[] = [];
  private server: S3rver | undefined;
  private constructor(
    private readonly directory: string,
    private port: number,
  ) {}

  /** Start on a free port; the store lives in a fresh temporary folder. */
  static async start(): Promise<FakeS3> {
    const s3 = new FakeS3(await tempDir("serving-tests-s3rver-"), 0);
    await s3.start();
    return s3;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** (Re)start, on the same port as before once it has one. */
  async start(): Promise<void> {
    if (this.server) return;
    const server = new S3rver({
      address: "127.0.0.1",
      port: this.port,
      silent: true,
      directory: this.directory,
    });
    const address = await server.run();
    this.port = address.port;
    server.httpServer?.on("request", (request) => {
      const url = new URL(request.url ?? "/", "http://s3");
      this.requests.push({
        method: request.method ?? "",
        path: decodeURIComponent(url.pathname),
        authorization: request.headers.authorization,
      });
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closing = server.close();
    server.httpServer?.closeAllConnections();
    await closing;
  }

  /** A client for this server, as a test (not the code under test) uses it. */
  client(): S3Client {
    return new S3Client({
      endpoint: this.endpoint,
      forcePathStyle: true,
      region: S3_REGION,
      credentials: S3_CREDENTIALS,
      // s3rver predates the SDK's default CRC32 checksums
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  async createBucket(bucket: string): Promise<void> {
    const client = this.client();
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } finally {
      client.destroy();
    }
  }

  async put(bucket: string, key: string, body: Uint8Array): Promise<void> {
    const client = this.client();
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    } finally {
      client.destroy();
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    const client = this.client();
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } finally {
      client.destroy();
    }
  }

  /** How many GetObject requests reached the server for this object. */
  gets(bucket: string, key: string): number {
    return this.requests.filter((r) => r.method === "GET" && r.path === `/${bucket}/${key}`).length;
  }

  /** Environment variables that point the code under test (its own S3 client) here. */
  env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_S3: this.endpoint,
      AWS_REGION: S3_REGION,
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
    };
  }
}

/** Set environment variables; the returned function puts the previous values back. */
export function setEnv(values: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(values);
  return () => apply(previous);
}
