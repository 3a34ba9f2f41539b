export * from "./abi.js";
export * from "./delivery.js";
export * from "./deployment.js";
export * from "./errors.js";
export * from "./ids.js";
export * from "./liveness.js";
export * from "./leasehold.js";
export * from "./signed.js";
// The viem pieces an app needs to build clients, from the SDK's own viem, so that errors thrown
// by those clients are the ones the SDK decodes.
export { createPublicClient, createWalletClient, custom, defineChain, http } from "viem";
export type { Address, Chain, EIP1193Provider, Hex } from "viem";
