// The tenant's side of delivery (docs/delivery.md): the EIP-712 messages a tenant signs for its
// provider's access server, and the manifest hash a rental request commits to. The calls that use
// them are Leasehold.deployWorkload, workloadAccess and workloadLogs.
import { type Hex, keccak256, stringToBytes } from "viem";

/** The access server's domain: bound to the chain and the LeaseMarket (keepers/delivery/messages.py). */
export const DELIVERY_DOMAIN = { name: "Leasehold Delivery", version: "1" } as const;

export const deliveryTypes = {
  Deploy: [
    { name: "leaseId", type: "uint256" },
    { name: "manifestHash", type: "bytes32" },
    { name: "secretsHash", type: "bytes32" },
    { name: "issuedAt", type: "uint256" },
  ],
  LeaseRequest: [
    { name: "leaseId", type: "uint256" },
    { name: "action", type: "string" },
    { name: "issuedAt", type: "uint256" },
  ],
} as const;

/** What the provider's access server answers to a deploy or an access request. */
export interface WorkloadAccess {
  leaseId: number;
  status: "serving" | "starting" | "failed";
  /** Port name to URL, e.g. { http: "http://127.0.0.1:41234" }. */
  endpoints: Record<string, string>;
  /** Sent by the tenant as `Authorization: Bearer <credential>` to the workload. */
  credential: string;
  restarts: number;
  backend: string;
}

/** A workload manifest in its full form (every field, as the CLI's `manifest` command or scripts/devnet.py
 * print it): the hash covers every field, so a shortened manifest hashes differently. */
export type Manifest = Record<string, unknown>;

/** JSON with object keys sorted and no whitespace, non-ASCII escaped: Python's
 * `json.dumps(sort_keys=True, separators=(",", ":"))`, the bytes the manifest hash commits to. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value as object).sort()
      .map((key) => `${canonicalJson(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** keccak256 of the manifest's canonical JSON: what a rental request commits to (`manifestHash`). */
export function manifestHash(manifest: Manifest): Hex {
  return keccak256(stringToBytes(canonicalJson(manifest)));
}
