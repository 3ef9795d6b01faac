export * from "./artifact.js";
export * from "./csv.js";
export * from "./features.js";
export * from "./forest.js";
export * from "./input.js";
export * from "./novelty.js";
export * from "./predictor.js";
