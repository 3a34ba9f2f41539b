import { type Hex, hexToString, stringToHex, trim } from "viem";

import { LeaseholdError } from "./errors.js";

/** A short text id (GPU model, region, workload) as the contracts' bytes32: ASCII, right-padded. */
export function toBytes32(text: string): Hex {
  if (!/^[\x20-\x7e]{1,32}$/.test(text)) {
    throw new LeaseholdError("BadInput", `"${text}" must be 1 to 32 printable ASCII characters`);
  }
  return stringToHex(text, { size: 32 });
}

/** A bytes32 id back to its text; "" for zero ("any"). */
export function fromBytes32(value: Hex): string {
  if (/^0x0*$/.test(value)) return "";
  return hexToString(trim(value, { dir: "right" }));
}

export const ZERO_BYTES32: Hex = `0x${"00".repeat(32)}`;
