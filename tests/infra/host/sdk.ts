/**
 * The gRPC library and the generated stubs as @pulumi/pulumi itself loads them, so that the
 * messages and services the recording engine and the provider client use are the SDK's own.
 */
import { createRequire } from "node:module";
import { join } from "node:path";

const fromSdk = createRequire(require.resolve("@pulumi/pulumi/package.json"));

export const grpc = fromSdk("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
export const resrpc = fromSdk("./proto/resource_grpc_pb.js");
export const resproto = fromSdk("./proto/resource_pb.js");
export const engrpc = fromSdk("./proto/engine_grpc_pb.js");
export const engproto = fromSdk("./proto/engine_pb.js");
export const provrpc = fromSdk("./proto/provider_grpc_pb.js");
export const provproto = fromSdk("./proto/provider_pb.js");
export const emptyproto = fromSdk("google-protobuf/google/protobuf/empty_pb.js");
export const structproto = fromSdk("google-protobuf/google/protobuf/struct_pb.js");

/** The SDK's own entry points, resolved from a program's folder as the CLI resolves them. */
export const sdkEntry = (pwd: string, entry: "cmd/run" | "cmd/dynamic-provider") =>
  createRequire(join(pwd, "noop.js")).resolve(`@pulumi/pulumi/${entry}`);
