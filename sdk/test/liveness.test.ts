// The capacity proof's TypeScript twin against keepers/liveness.py: the same seed and units give the
// same root, drawn leaves and answer bytes (the vector below is the Python twin's), and the seed slot
// is the one LeaseLiveness keeps the seed at.
import assert from "node:assert/strict";
import { test } from "node:test";

import { type Hex, keccak256, toHex } from "viem";

import { LIVENESS_SEEDS_SLOT, capacityProof, livenessDepth, seedSlot } from "../src/liveness.js";

const SEED = `0x${"ab".repeat(32)}` as Hex;

test("the proof for a seed and 3 units is the Python twin's", () => {
  const proof = capacityProof(SEED, 3);
  assert.equal(proof.root, "0x28b7186a76fd794a7bab9847e391dd627c422b579e0d0c2748ebde1248b44407");
  assert.deepEqual(proof.indices, [21, 16, 45, 76, 85, 79, 61, 1]);
  assert.equal((proof.answer.length - 2) / 2, 32 * (1 + livenessDepth(3) * 8));
});

test("the seed slot is the library's namespaced mapping", () => {
  assert.equal(LIVENESS_SEEDS_SLOT, keccak256(toHex("leasehold.LeaseLiveness.seeds")));
  assert.equal(seedSlot(7n), "0xd951f06f6bf0ca8c347330737ebebd7b47d50b2025cf8657b5049b3668fad5fd");
});
