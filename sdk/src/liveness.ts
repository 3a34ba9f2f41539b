// The liveness capacity proof: the TypeScript twin of keepers/liveness.py and LeaseLiveness's spot check
// (docs/leases.md, "Liveness: a capacity proof"). A challenge fixes a seed; the answer is the root of a
// sorted-pair keccak Merkle tree over units × LIVENESS_LEAVES_PER_UNIT leaves (padded with zero leaves
// to a power of two), leaf i being LIVENESS_CHAIN_STEPS keccak256 steps from keccak256(seed, i), then
// the sibling paths of the LIVENESS_SPOT_CHECKS leaves drawn from (seed, root). keccak stands in for
// the GPU kernel; the provider computes it where the leased units are.
import { type Hex, concat, keccak256, numberToHex, toHex } from "viem";

/** Market.LIVENESS_LEAVES_PER_UNIT, LIVENESS_CHAIN_STEPS and LIVENESS_SPOT_CHECKS (contracts/types/DataTypes.sol). */
export const LIVENESS_LEAVES_PER_UNIT = 32;
export const LIVENESS_CHAIN_STEPS = 16;
export const LIVENESS_SPOT_CHECKS = 8;
/** LeaseLiveness._SEEDS_SLOT: keccak256("leasehold.LeaseLiveness.seeds"), the seeds mapping in LeaseMarket's storage. */
export const LIVENESS_SEEDS_SLOT = keccak256(toHex("leasehold.LeaseLiveness.seeds"));

const ZERO: Hex = `0x${"00".repeat(32)}`;
const word = (n: bigint | number): Hex => numberToHex(BigInt(n), { size: 32 });

/** The storage slot of a lease's latest challenge seed in LeaseMarket. */
export function seedSlot(leaseId: bigint): Hex {
  return keccak256(concat([word(leaseId), LIVENESS_SEEDS_SLOT]));
}

export function livenessDepth(units: number): number {
  return (units * LIVENESS_LEAVES_PER_UNIT - 1).toString(2).length;
}

export function capacityLeaf(seed: Hex, index: number): Hex {
  let h = keccak256(concat([seed, word(index)]));
  for (let k = 0; k < LIVENESS_CHAIN_STEPS; k++) h = keccak256(h);
  return h;
}

function hashPair(a: Hex, b: Hex): Hex {
  return a.toLowerCase() < b.toLowerCase() ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

/** The capacity proof for `seed` on `units` leased units: `respondLiveness(leaseId, answer)`'s answer. */
export function capacityProof(seed: Hex, units: number): { root: Hex; indices: number[]; answer: Hex } {
  const count = units * LIVENESS_LEAVES_PER_UNIT;
  const size = 1 << livenessDepth(units);
  const levels: Hex[][] = [Array.from({ length: size }, (_, i) => (i < count ? capacityLeaf(seed, i) : ZERO))];
  while (levels[levels.length - 1].length > 1) {
    const level = levels[levels.length - 1];
    const next: Hex[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hashPair(level[i], level[i + 1]));
    levels.push(next);
  }
  const root = levels[levels.length - 1][0];
  const indices = Array.from({ length: LIVENESS_SPOT_CHECKS }, (_, spot) =>
    Number(BigInt(keccak256(concat([seed, root, word(spot)]))) % BigInt(count)));
  const path: Hex[] = [];
  for (const leaf of indices) {
    let index = leaf;
    for (const level of levels.slice(0, -1)) {
      path.push(level[index ^ 1]);
      index >>= 1;
    }
  }
  return { root, indices, answer: concat([root, ...path]) };
}
