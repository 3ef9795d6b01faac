/**
 * A dynamic resource's provider run as the Pulumi CLI runs it. The CLI starts the plugin
 * `pulumi-resource-pulumi-nodejs`, a shell script that runs `node` on
 * `require.resolve('@pulumi/pulumi/cmd/dynamic-provider')` from the program's folder with the
 * engine's address (pkg/resource/plugin/provider_plugin.go: `newPlugin(ctx, ctx.Pwd, …,
 * []string{host.ServerAddr()}, env)`); the host prints its port, and the engine calls it over gRPC:
 * Configure (after a Handshake this host answers UNIMPLEMENTED), then Check, Diff, Create, Update,
 * Read or Delete. Each request carries the `__provider` input, the
 * provider serialized by the program, which the host loads with require-from-string: no ts-node
 * and none of the test runner's loaders, so a closure that does not serialize, or a module the
 * serialized code cannot find at run time, fails here as it fails `pulumi up`.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { grpc, provproto, provrpc, sdkEntry, structproto } from "./sdk.js";

type Props = Record<string, unknown>;

export interface CheckResult {
  readonly inputs: Props;
  readonly failures: { property: string; reason: string }[];
}

export type DiffChanges = "unknown" | "none" | "some";
const CHANGES: DiffChanges[] = ["unknown", "none", "some"]; // DiffResponse.DiffChanges

export interface Target {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
}

// biome-ignore lint/suspicious/noExplicitAny: generated jspb messages and clients carry no useful types here
type Message = any;

const struct = (props: Props) => structproto.Struct.fromJavaScript(props);

export class DynamicProviderHost {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly client: Message,
    private readonly output: { stderr: string },
  ) {}

  /**
   * Start the host from `pwd` (the program's folder) and configure it as the engine does; `env`
   * goes on top of the test's own environment (the CLI passes its environment to plugins).
   */
  static async start(
    pwd: string,
    engineAddress: string,
    limitMs = 30_000,
    env: Record<string, string | undefined> = {},
  ) {
    const child = spawn(
      process.execPath,
      [sdkEntry(pwd, "cmd/dynamic-provider"), engineAddress],
      // the test runner's loaders (tsx) must not reach the provider
      { cwd: pwd, env: { ...process.env, NODE_OPTIONS: undefined, ...env } },
    );
    const output = { stderr: "" };
    child.stderr.on("data", (chunk: Buffer) => {
      output.stderr += chunk.toString();
    });
    try {
      const port = await firstLine(child, limitMs, output);
      const client = new provrpc.ResourceProviderClient(
        `127.0.0.1:${port}`,
        grpc.credentials.createInsecure(),
      );
      const host = new DynamicProviderHost(child, client, output);
      const configure = new provproto.ConfigureRequest();
      configure.setArgs(struct({})); // the default `pulumi-nodejs` provider has no config
      configure.setAcceptsecrets(true);
      configure.setAcceptresources(true);
      await host.call("configure", configure);
      return host;
    } catch (err) {
      child.kill("SIGKILL");
      throw err;
    }
  }

  /** What the provider host wrote to stderr (it logs a failed call's stack there). */
  get stderr(): string {
    return this.output.stderr;
  }

  async check(t: Target, olds: Props, news: Props): Promise<CheckResult> {
    const req = withTarget(new provproto.CheckRequest(), t);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    const res = await this.call("check", req);
    return {
      inputs: res.getInputs()?.toJavaScript() ?? {},
      failures: res
        .getFailuresList()
        .map((f: Message) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(t: Target, id: string, olds: Props, news: Props) {
    const req = withTarget(new provproto.DiffRequest(), t);
    req.setId(id);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    req.setOldInputs(struct(olds));
    const res = await this.call("diff", req);
    return {
      changes: CHANGES[res.getChanges()] ?? "unknown",
      replaces: res.getReplacesList() as string[],
    };
  }

  async create(t: Target, properties: Props): Promise<{ id: string; properties: Props }> {
    const req = withTarget(new provproto.CreateRequest(), t);
    req.setProperties(struct(properties));
    const res = await this.call("create", req);
    return { id: res.getId(), properties: res.getProperties()?.toJavaScript() ?? {} };
  }

  async update(t: Target, id: string, olds: Props, news: Props): Promise<Props> {
    const req = withTarget(new provproto.UpdateRequest(), t);
    req.setId(id);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    req.setOldInputs(struct(olds));
    return (await this.call("update", req)).getProperties()?.toJavaScript() ?? {};
  }

  /** `pulumi refresh`: the provider's read, or the state as it is when it has none. */
  async read(t: Target, id: string, properties: Props): Promise<{ id: string; properties: Props }> {
    const req = withTarget(new provproto.ReadRequest(), t);
    req.setId(id);
    req.setProperties(struct(properties));
    req.setInputs(struct(properties));
    const res = await this.call("read", req);
    return { id: res.getId(), properties: res.getProperties()?.toJavaScript() ?? {} };
  }

  async delete(t: Target, id: string, properties: Props): Promise<void> {
    const req = withTarget(new provproto.DeleteRequest(), t);
    req.setId(id);
    req.setProperties(struct(properties));
    req.setOldInputs(struct(properties));
    await this.call("delete", req);
  }

  stop(): void {
    this.client.close();
    this.child.kill("SIGKILL");
  }

  /** One unary call with a deadline: a host that never answers fails the call, not the suite. */
  private call(method: string, request: Message, limitMs = 15_000): Promise<Message> {
    return new Promise((resolve, reject) =>
      this.client[method](
        request,
        { deadline: Date.now() + limitMs },
        (err: Error | null, response: Message) =>
          err ? reject(new Error(`${method}: ${err.message}\n${this.stderr}`)) : resolve(response),
      ),
    );
  }
}

function withTarget(req: Message, t: Target): Message {
  req.setUrn(t.urn);
  req.setType(t.type);
  req.setName(t.name);
  return req;
}

/** The port the plugin prints as its first line, as the engine reads it. */
function firstLine(
  child: ChildProcessWithoutNullStreams,
  limitMs: number,
  output: { stderr: string },
): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`the dynamic provider host ${why}\n${output.stderr}`));
    };
    const timer = setTimeout(() => fail(`printed no port within ${limitMs} ms`), limitMs);
    child.once("exit", (code) => fail(`exited (${code}) before printing its port`));
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const end = stdout.indexOf("\n");
      if (end < 0) return;
      clearTimeout(timer);
      const port = Number(stdout.slice(0, end).trim());
      if (Number.isInteger(port) && port > 0) resolve(port);
      else fail(`printed ${JSON.stringify(stdout.slice(0, end))} instead of a port`);
    });
  });
}
