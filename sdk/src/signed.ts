import type { Address, Hex } from "viem";

/** A RequestSpec as the contracts take it (amounts in payment-token units, times in seconds). */
export interface RequestSpec {
  gpuModel: Hex; // bytes32; zero: any model with at least minVramGB
  minVramGB: number;
  units: number;
  region: Hex; // bytes32; zero: any region
  minTier: number;
  minReputation: number;
  maxPricePerUnitHour: bigint;
  maxDurationSeconds: number;
  matchDeadline: number;
  kind: number; // 0 RENTAL, 1 JOB
  jobTermsHash: Hex;
  rematch: boolean; // RENTAL: re-open the unused deposit when a provider fails the lease
}

export interface SignedRequestMessage {
  tenant: Address;
  spec: RequestSpec;
  deposit: bigint;
  nonce: bigint;
  deadline: bigint;
}

export interface PermitSignature {
  deadline: bigint;
  v: number;
  r: Hex;
  s: Hex;
}

/** What a tenant hands a matcher (directly or through an order book): no gas needed. */
export interface SignedOrder {
  chainId: number;
  market: Address;
  request: SignedRequestMessage;
  signature: Hex;
  permit: PermitSignature;
}

export const SIGNED_REQUEST_DOMAIN = { name: "Leasehold LeaseMarket", version: "1" } as const;

export const signedRequestTypes = {
  SignedRequest: [
    { name: "tenant", type: "address" },
    { name: "spec", type: "RequestSpec" },
    { name: "deposit", type: "uint128" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
  RequestSpec: [
    { name: "gpuModel", type: "bytes32" },
    { name: "minVramGB", type: "uint16" },
    { name: "units", type: "uint32" },
    { name: "region", type: "bytes32" },
    { name: "minTier", type: "uint8" },
    { name: "minReputation", type: "uint16" },
    { name: "maxPricePerUnitHour", type: "uint128" },
    { name: "maxDurationSeconds", type: "uint40" },
    { name: "matchDeadline", type: "uint40" },
    { name: "kind", type: "uint8" },
    { name: "jobTermsHash", type: "bytes32" },
    { name: "rematch", type: "bool" },
  ],
} as const;

export const permitTypes = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** The JSON an order book takes (keepers/orderbook.py): big numbers as decimal strings. */
export function orderToWire(order: SignedOrder): Record<string, unknown> {
  const { request, permit } = order;
  return {
    chainId: order.chainId,
    market: order.market,
    request: {
      tenant: request.tenant,
      spec: { ...request.spec, maxPricePerUnitHour: request.spec.maxPricePerUnitHour.toString() },
      deposit: request.deposit.toString(),
      nonce: request.nonce.toString(),
      deadline: request.deadline.toString(),
    },
    signature: order.signature,
    permit: { deadline: permit.deadline.toString(), v: permit.v, r: permit.r, s: permit.s },
  };
}
