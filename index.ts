/**
 * The package entry: the prediction core and training for programs that use the model, and the
 * Pulumi components for programs that deploy it. Code that must stay small (the Lambda handler,
 * the server) imports from core/ directly: this entry also loads @pulumi/pulumi and @pulumi/aws.
 */
export * from "./components/index.js";
export * from "./core/index.js";
export * from "./training/index.js";
