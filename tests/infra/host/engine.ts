/**
 * A recording Pulumi engine for programs run through the real language-host entry: the
 * ResourceMonitor and Engine gRPC services on 127.0.0.1, built from the stubs that ship inside
 * @pulumi/pulumi. It answers like an engine deploying into an empty stack: in a preview new
 * resources get their inputs back and every computed output unknown; in an update they get the
 * computed fields the in-process mocks fill in (tests/infra/harness.ts), so both kinds of tests
 * agree on what AWS would hand back.
 */
import { Recorder } from "../harness.js";
import {
  emptyproto,
  engproto,
  engrpc,
  grpc,
  provproto,
  resproto,
  resrpc,
  structproto,
} from "./sdk.js";
import { type Decoded, decode, engineView } from "./values.js";

/** What the engine keeps of a registration, with the inputs as the engine compares them. */
export interface Registration {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly parent: string;
  readonly provider: string;
  /** The inputs as sent, assets and archives included with the paths the program gave them. */
  readonly inputs: Decoded;
  readonly dependencies: readonly string[];
  readonly propertyDependencies: Record<string, readonly string[]>;
  readonly options: Record<string, unknown>;
  /** Where the program registered it: kept by the engine as metadata, never diffed. */
  readonly sourcePosition?: unknown;
}

export interface EngineRun {
  readonly project: string;
  readonly stack: string;
  readonly dryRun: boolean;
  /** The program's folder: the engine reads relative asset paths from there. */
  readonly workingDir: string;
}

export interface LogEntry {
  readonly severity: "debug" | "info" | "warning" | "error";
  readonly message: string;
  readonly urn: string;
}

// Features a current Pulumi CLI reports for the questions the SDK asks (resmon.SupportsFeature).
const FEATURES = new Set([
  "secrets",
  "resourceReferences",
  "outputValues",
  "deletedWith",
  "replaceWith",
  "aliasSpecs",
  "transforms",
  "invokeTransforms",
  "parameterization",
  "resourceHooks",
  "errorHooks",
]);
const SEVERITY = ["debug", "info", "warning", "error"] as const;

// biome-ignore lint/suspicious/noExplicitAny: generated jspb messages carry no useful types here
type Call = { request: any };
// biome-ignore lint/suspicious/noExplicitAny: grpc-js's callback is generic over the response
type Done = (err: Error | null, response?: any) => void;

export class RecordingEngine {
  readonly registrations: Registration[] = [];
  readonly invokes: { token: string; args: Decoded }[] = [];
  readonly logs: LogEntry[] = [];
  readonly outputs = new Map<string, Decoded>();
  /** The in-process mocks' recorder, reused for the computed fields of each resource. */
  readonly mocks = new Recorder();
  private readonly server = new grpc.Server();
  private rootUrn = "";
  private port = 0;

  constructor(readonly run: EngineRun) {
    this.server.addService(resrpc.ResourceMonitorService, this.monitor());
    this.server.addService(engrpc.EngineService, this.engine());
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) =>
      this.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) return reject(err);
        this.port = port;
        resolve();
      }),
    );
  }

  /** Stop serving: graceful for a second, then forced (a hung call must not hang the tests). */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 1000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  /** The engine's URN: the parent's type chain, less the stack's, `$`-joined before the type. */
  private urnOf(parent: string, type: string, name: string): string {
    const parentType = parent.split("::")[2] ?? "";
    const chain = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$` : "";
    return `urn:pulumi:${this.run.stack}::${this.run.project}::${chain}${type}::${name}`;
  }

  private register(request: Call["request"]) {
    const type: string = request.getType();
    const name: string = request.getName();
    const parent: string = request.getParent();
    const custom: boolean = request.getCustom();
    const raw = request.getObject()?.toJavaScript() ?? {};
    const urn = this.urnOf(parent, type, name);
    const req = request.toObject();
    const {
      type: _t,
      name: _n,
      parent: _p,
      custom: _c,
      object: _o,
      dependenciesList,
      provider,
      propertydependenciesMap,
      sourceposition,
      stacktrace: _st,
      parentstacktracehandle: _h,
      ...options
    } = req;
    this.registrations.push({
      urn,
      type,
      name,
      custom,
      parent,
      provider,
      inputs: engineView(raw, this.run.workingDir),
      dependencies: [...dependenciesList].sort(),
      propertyDependencies: Object.fromEntries(
        (propertydependenciesMap as [string, { urnsList: string[] }][]).map(([k, v]) => [
          k,
          [...v.urnsList].sort(),
        ]),
      ),
      options,
      sourcePosition: sourceposition,
    });
    let state: Record<string, unknown> = raw;
    let id = "";
    if (custom) {
      const result = this.mocks.newResource({
        type,
        name,
        inputs: decode(raw) as Record<string, unknown>,
        custom,
        provider,
      });
      // a preview of a create knows only what the program gave: the rest stays unknown
      if (!this.run.dryRun) {
        state = { ...result.state, ...raw };
        id = result.id ?? "";
      }
    }
    const response = new resproto.RegisterResourceResponse();
    response.setUrn(urn);
    response.setId(id);
    response.setObject(structproto.Struct.fromJavaScript(state));
    return response;
  }

  private invoke(request: Call["request"]) {
    const token: string = request.getTok();
    const args = decode(request.getArgs()?.toJavaScript() ?? {}) as Record<string, unknown>;
    this.invokes.push({ token, args });
    const result = this.mocks.call({ token, inputs: args });
    const response = new provproto.InvokeResponse();
    response.setReturn(structproto.Struct.fromJavaScript(result));
    return response;
  }

  private monitor() {
    return {
      supportsFeature: answer((req) => {
        const response = new resproto.SupportsFeatureResponse();
        response.setHassupport(FEATURES.has(req.getId()));
        return response;
      }),
      registerResource: answer((req) => this.register(req)),
      registerResourceOutputs: answer((req) => {
        this.outputs.set(req.getUrn(), decode(req.getOutputs()?.toJavaScript() ?? {}));
        return new emptyproto.Empty();
      }),
      invoke: answer((req) => this.invoke(req)),
      readResource: answer((req) => {
        throw new Error(`unexpected read of ${req.getType()} ${req.getName()}`);
      }),
      registerPackage: answer((req) => {
        const response = new resproto.RegisterPackageResponse();
        response.setRef(`package-${req.getName()}`);
        return response;
      }),
      signalAndWaitForShutdown: answer(() => new emptyproto.Empty()),
      ...unimplemented([
        "call",
        "getDeploymentInfo",
        "registerStackTransform",
        "registerStackInvokeTransform",
        "registerResourceHook",
        "registerErrorHook",
      ]),
    };
  }

  private engine() {
    return {
      log: answer((req) => {
        this.logs.push({
          severity: SEVERITY[req.getSeverity() as number] ?? "error",
          message: req.getMessage(),
          urn: req.getUrn(),
        });
        return new emptyproto.Empty();
      }),
      getRootResource: answer(() => {
        const response = new engproto.GetRootResourceResponse();
        response.setUrn(this.rootUrn);
        return response;
      }),
      setRootResource: answer((req) => {
        this.rootUrn = req.getUrn();
        return new engproto.SetRootResourceResponse();
      }),
      ...unimplemented(["startDebugging", "requirePulumiVersion"]),
    };
  }
}

/** A unary gRPC handler from a function of the request; a throw becomes the call's error. */
const answer =
  <T>(fn: (request: Call["request"]) => T) =>
  (call: Call, done: Done) => {
    try {
      done(null, fn(call.request));
    } catch (err) {
      done(err as Error);
    }
  };

/** Methods this engine does not serve: the SDK gets UNIMPLEMENTED, as from an older engine. */
function unimplemented(names: string[]) {
  return Object.fromEntries(
    names.map((name) => [
      name,
      (_call: Call, done: Done) =>
        done(
          Object.assign(new Error(`${name} is not served`), { code: grpc.status.UNIMPLEMENTED }),
        ),
    ]),
  );
}
