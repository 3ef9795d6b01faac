export * from "./data.js";
export * from "./labelled-csv.js";
export * from "./metrics.js";
export * from "./options.js";
export * from "./report.js";
export * from "./split.js";
export * from "./train.js";
export * from "./write.js";
