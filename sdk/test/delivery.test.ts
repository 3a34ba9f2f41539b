// Reaching the rented workload from the SDK: a real provider agent with delivery (the process backend)
// on Anvil (scripts/devnet.py --delivery), a lease committed to scripts/delivery_service.py's manifest.
// The tenant deploys it, gets its endpoint and credential, reaches it and reads its logs, each by a
// signature from its wallet; anyone else gets the access server's refusal as one line.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { type Chain, createPublicClient, createTestClient, createWalletClient, defineChain, http, maxUint256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import {
  type AddressBook,
  Leasehold,
  LeaseholdError,
  erc20PermitAbi,
  leaseMarketAbi,
  loadDeploymentFile,
  manifestHash,
  protocolConfigAbi,
} from "../src/index.js";
import { type Devnet, startDevnet } from "./devnet.js";

let devnet: Devnet;
let book: AddressBook;
let chain: Chain;
let leaseId: bigint;

function sdkAs(name: keyof Devnet["accounts"]) {
  const transport = http(devnet.rpcUrl);
  return new Leasehold({
    publicClient: createPublicClient({ chain, transport }),
    walletClient: createWalletClient({ chain, transport, account: privateKeyToAccount(devnet.accounts[name].key) }),
    book,
  });
}

async function rejects(promise: Promise<unknown>, code: string, pattern: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof LeaseholdError, `not a LeaseholdError: ${error}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes("\n"), `one line: ${error.message}`);
    return true;
  });
}

before(async () => {
  devnet = await startDevnet({ delivery: true });
  book = await loadDeploymentFile(devnet.deployment);
  chain = defineChain({ id: devnet.chainId, name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH",
    decimals: 18 }, rpcUrls: { default: { http: [devnet.rpcUrl] } } });
  leaseId = BigInt(devnet.delivery!.leaseId);
});

after(async () => {
  await devnet?.stop();
});

test("the manifest hash is the one the Python side committed on chain", async () => {
  const commitment = await createPublicClient({ chain, transport: http(devnet.rpcUrl) }).readContract({
    address: book.leaseMarket, functionName: "jobTermsHashOf", args: [leaseId],
    abi: [{ type: "function", name: "jobTermsHashOf", stateMutability: "view",
      inputs: [{ name: "leaseId", type: "uint256" }], outputs: [{ name: "", type: "bytes32" }] }] as const,
  });
  assert.equal(manifestHash(devnet.delivery!.manifest), commitment);
});

test("before a deploy: nothing runs; a manifest other than the committed one is refused before sending", async () => {
  const tenant = sdkAs("tenant");
  await rejects(tenant.workloadAccess(leaseId), "DeliveryRefused",
    /^The provider refused: lease \d+: nothing deployed; deploy its manifest first$/);
  const other = { ...devnet.delivery!.manifest, env: { GREETING: "changed" } };
  await rejects(tenant.deployWorkload(leaseId, other), "ManifestMismatch", /committed to 0x[0-9a-f]{64}\. Nothing/);
});

test("the tenant deploys its workload, reaches its endpoint with the credential and reads its logs", async () => {
  const tenant = sdkAs("tenant");
  const deployed = await tenant.deployWorkload(leaseId, devnet.delivery!.manifest);
  assert.equal(deployed.leaseId, Number(leaseId));
  assert.equal(deployed.backend, "process");
  const access = await tenant.workloadAccess(leaseId);
  assert.equal(access.credential, deployed.credential);
  assert.deepEqual(access.endpoints, deployed.endpoints);
  assert.equal(access.status, "serving");
  const endpoint = access.endpoints.http!;
  assert.match(endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);

  const denied = await fetch(endpoint);
  assert.equal(denied.status, 401, "the workload wants the credential");
  const answer = await fetch(endpoint, { headers: { Authorization: `Bearer ${access.credential}` } });
  assert.equal(answer.status, 200);
  assert.deepEqual({ ...(await answer.json()), devices: undefined },
    { lease_id: String(leaseId), greeting: "hello", secret_set: false, devices: undefined });

  const logs = await tenant.workloadLogs(leaseId);
  assert.match(logs, new RegExp(`serving lease ${leaseId} on port \\d+`));
  assert.match(logs, /GET \/ -> 200/);
});

test("anyone but the lease's tenant gets the access server's refusal as one line", async () => {
  for (const name of ["provider", "deliverer"] as const) {
    const stranger = sdkAs(name);
    await rejects(stranger.workloadAccess(leaseId), "DeliveryRefused",
      new RegExp(`^The provider refused: signer ${devnet.accounts[name].address} is not the tenant of lease ${leaseId}$`));
    await rejects(stranger.workloadLogs(leaseId), "DeliveryRefused", /is not the tenant of lease/);
  }
});

test("a lease that does not exist is refused before signing", async () => {
  await rejects(sdkAs("tenant").workloadAccess(99n), "LeaseMarket_LeaseNotFound", /^Lease 99 does not exist\.$/);
});

test("the provider's reputation history: a liveness challenge answered, then one missed and slashed, dated", async () => {
  const transport = http(devnet.rpcUrl);
  const publicClient = createPublicClient({ chain, transport });
  const testClient = createTestClient({ chain, mode: "anvil", transport });
  const advance = async (seconds: number) => {
    await testClient.increaseTime({ seconds });
    await testClient.mine({ blocks: 1 });
  };
  const challenger = createWalletClient({ chain, transport, account: privateKeyToAccount(devnet.accounts.tenant.key) });
  const send = async (call: Parameters<typeof challenger.writeContract>[0]) =>
    publicClient.waitForTransactionReceipt({ hash: await challenger.writeContract(call) });
  const params = (await publicClient.readContract({ address: book.protocolConfig, abi: protocolConfigAbi,
    functionName: "params" })) as { livenessSpacingSeconds: number; livenessWindowSeconds: number };
  await send({ address: book.paymentToken, abi: erc20PermitAbi, functionName: "approve",
    args: [book.leaseMarket, maxUint256] } as never);
  const deliverer = sdkAs("deliverer");
  const address = devnet.accounts.deliverer.address;
  assert.deepEqual(await deliverer.reputationHistory(address), []);

  await advance(Number(params.livenessSpacingSeconds));
  await send({ address: book.leaseMarket, abi: leaseMarketAbi, functionName: "challengeLiveness",
    args: [leaseId] } as never);
  await deliverer.respondLiveness(leaseId);
  const answeredAt = await deliverer.chainTime();
  await advance(Number(params.livenessSpacingSeconds));
  await send({ address: book.leaseMarket, abi: leaseMarketAbi, functionName: "challengeLiveness",
    args: [leaseId] } as never);
  await advance(Number(params.livenessWindowSeconds) + 1);
  const resolved = await send({ address: book.leaseMarket, abi: leaseMarketAbi, functionName: "resolveLiveness",
    args: [leaseId] } as never);

  const history = await deliverer.reputationHistory(address);
  assert.deepEqual(history.map((e) => e.kind), ["LIVENESS_ANSWERED", "LIVENESS_MISSED"]);
  assert.equal(history[0]!.time, answeredAt);
  assert.equal(history[0]!.slashed, 0n);
  assert.equal(history[1]!.transactionHash, resolved.transactionHash);
  assert.ok(history[1]!.slashed > 0n, "the missed challenge was slashed");
  assert.ok(history[1]!.time > history[0]!.time);
  const standing = await deliverer.provider(address);
  assert.equal(standing.livenessAnswered, 1);
  assert.equal(standing.livenessMissed, 1);
});
