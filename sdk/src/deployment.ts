import { type Address, getAddress, isAddress } from "viem";

import { LeaseholdError } from "./errors.js";

/** The deployments/<chainId>.json file: the SDK's address book. */
export interface DeploymentFile {
  chainId: number;
  blockNumber: number;
  contracts: Record<string, { address: string; abi?: unknown }>;
}

export interface AddressBook {
  chainId: number;
  /** Block of deployment: where event scans start. */
  fromBlock: bigint;
  leaseMarket: Address;
  providerRegistry: Address;
  jobMarket: Address;
  protocolConfig: Address;
  paymentToken: Address;
  stakeToken: Address;
}

const REQUIRED = {
  leaseMarket: "LeaseMarket",
  providerRegistry: "ProviderRegistry",
  jobMarket: "JobMarket",
  protocolConfig: "ProtocolConfig",
  paymentToken: "PaymentToken",
  stakeToken: "StakeToken",
} as const;

/** Checks a parsed deployments file and returns its addresses, or throws one readable line. */
export function addressBook(file: DeploymentFile): AddressBook {
  if (typeof file !== "object" || file === null || typeof file.contracts !== "object") {
    throw new LeaseholdError("BadDeployment", "the deployments file has no contracts");
  }
  if (!Number.isInteger(file.chainId)) throw new LeaseholdError("BadDeployment", "the deployments file has no chainId");
  const book: Record<string, Address> = {};
  for (const [key, name] of Object.entries(REQUIRED)) {
    const address = file.contracts[name]?.address;
    if (typeof address !== "string" || !isAddress(address)) {
      throw new LeaseholdError("BadDeployment", `the deployments file lacks a valid address for ${name}`);
    }
    book[key] = getAddress(address);
  }
  return { chainId: file.chainId, fromBlock: BigInt(file.blockNumber ?? 0), ...book } as AddressBook;
}

/** Reads deployments/<chainId>.json with Node's fs (in a browser, fetch it and call `addressBook`). */
export async function loadDeploymentFile(path: string): Promise<AddressBook> {
  const { readFile } = await import("node:fs/promises");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new LeaseholdError("BadDeployment", `cannot read the deployments file ${path}: ${(error as Error).message}`);
  }
  try {
    return addressBook(JSON.parse(text) as DeploymentFile);
  } catch (error) {
    if (error instanceof LeaseholdError) throw error;
    throw new LeaseholdError("BadDeployment", `the deployments file ${path} is not JSON`);
  }
}
