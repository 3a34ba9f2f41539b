export * from "./abi.js";
export * from "./deployment.js";
export * from "./errors.js";
export * from "./ids.js";
export * from "./leasehold.js";
export * from "./signed.js";
