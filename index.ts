/**
 * The package entry: the prediction core and training for programs that use the model, and
 * (from the infrastructure issue on) the Pulumi components for programs that deploy it.
 */
export * from "./core/index.js";
export * from "./training/index.js";
