// The SDK against a real Anvil with the protocol deployed (scripts/devnet.py): every user action,
// the gasless path end to end, and each bad input refused with one readable line, nothing sent.
import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";

import {
  type Address,
  type Chain,
  UserRejectedRequestError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  http,
  parseAbi,
  parseEventLogs,
} from "viem";
import { generatePrivateKey, privateKeyToAccount, toAccount } from "viem/accounts";

import {
  type AddressBook,
  Leasehold,
  LeaseholdError,
  describe,
  loadDeploymentFile,
  protocolErrorsAbi,
} from "../src/index.js";
import { type Devnet, startDevnet } from "./devnet.js";

const USD = 1_000_000n;
const mintAbi = parseAbi(["function mint(address to, uint256 amount)"]);

let devnet: Devnet;
let book: AddressBook;
let chain: Chain;

function sdkFor(account?: Parameters<typeof createWalletClient>[0]["account"], overrides: Partial<AddressBook> = {}) {
  const transport = http(devnet.rpcUrl);
  const publicClient = createPublicClient({ chain, transport });
  const walletClient = account ? createWalletClient({ chain, transport, account }) : undefined;
  return new Leasehold({ publicClient, walletClient, book: { ...book, ...overrides } });
}

const dev = (name: keyof Devnet["accounts"]) => privateKeyToAccount(devnet.accounts[name].key);
const testClient = () => createTestClient({ chain, mode: "anvil", transport: http(devnet.rpcUrl) });

async function advance(seconds: number) {
  await testClient().increaseTime({ seconds });
  await testClient().mine({ blocks: 1 });
}

/** A fresh tenant key that holds payment tokens and not one wei of ether. */
async function gaslessTenant(funds = 1_000n * USD) {
  const account = privateKeyToAccount(generatePrivateKey());
  const governance = createWalletClient({ chain, transport: http(devnet.rpcUrl), account: dev("governance") });
  const hash = await governance.writeContract({ address: book.paymentToken, abi: mintAbi, functionName: "mint",
    args: [account.address, funds] });
  await createPublicClient({ chain, transport: http(devnet.rpcUrl) }).waitForTransactionReceipt({ hash });
  return account;
}

async function rejects(promise: Promise<unknown>, code: string, pattern?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof LeaseholdError, `not a LeaseholdError: ${error}`);
    assert.equal(error.code, code, error.message);
    if (pattern) assert.match(error.message, pattern);
    assert.ok(!/0x[0-9a-f]{8,}$/i.test(error.message.trim()), "message is raw revert data");
    return true;
  });
}

const rental = { gpuModel: "nvidia-h100-80gb", units: 2, maxPricePerUnitHour: 3n * USD, durationSeconds: 4 * 3600 };

before(async () => {
  devnet = await startDevnet();
  book = await loadDeploymentFile(devnet.deployment);
  chain = defineChain({ id: devnet.chainId, name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH",
    decimals: 18 }, rpcUrls: { default: { http: [devnet.rpcUrl] } } });
});

after(async () => {
  await devnet?.stop();
});

suite("market views", () => {
  test("the address book and the offers by model, tier, region and price", async () => {
    assert.equal(book.chainId, devnet.chainId);
    const offers = await sdkFor().offers();
    assert.equal(offers.length, 3);
    const h100 = offers.find((o) => o.gpuModel === "nvidia-h100-80gb")!;
    assert.equal(h100.region, "eu-west");
    assert.equal(h100.tierName, "Ultra");
    assert.equal(h100.pricePerUnitHour, 25n * USD / 10n);
    assert.equal(h100.unitsFree, 8);
    const model = await sdkFor().gpuModel("nvidia-rtx-4090-24gb");
    assert.equal(model.vramGB, 24);
  });
});

suite("gasless signed requests", () => {
  test("a tenant with no ether rents by signature; the matcher's transaction posts and matches it", async () => {
    const tenant = await gaslessTenant();
    const tenantSdk = sdkFor(tenant);
    const spec = await tenantSdk.rentalSpec(rental);
    const deposit = await tenantSdk.depositFor(spec);
    const order = await tenantSdk.signRequest(spec, deposit);
    const leaseId = await sdkFor(dev("matcher")).matchSignedRequest(order, BigInt(devnet.offers[0]));
    const publicClient = createPublicClient({ chain, transport: http(devnet.rpcUrl) });
    assert.equal(await publicClient.getBalance({ address: tenant.address }), 0n);
    assert.equal(await publicClient.getTransactionCount({ address: tenant.address }), 0);
    assert.equal(await tenantSdk.nonceStatus(tenant.address, order.request.nonce), "USED");

    const start = await tenantSdk.leaseStatus(leaseId);
    assert.equal(start.status, "ACTIVE");
    assert.equal(start.tenant, tenant.address);
    assert.equal(start.gpuModel, "nvidia-h100-80gb");
    assert.equal(start.ratePerHour, 5n * USD);
    assert.deepEqual(await tenantSdk.requestsOf(tenant.address), [leaseId]);

    await advance(1800);
    const later = await tenantSdk.leaseStatus(leaseId);
    const elapsed = BigInt(later.now - later.startTime);
    assert.equal(later.accrued, (later.ratePerHour * elapsed) / 3600n);
    assert.equal(later.withdrawable, later.accrued);
    assert.equal(later.endsAt, later.startTime + 4 * 3600);
    assert.equal(later.timeLeftSeconds, Math.min(later.endsAt, later.runsDryAt) - later.now);
    assert.equal(later.refundIfClosedNow, later.balance - later.accrued + later.settleBounty);
    // The deposit streams the whole duration at the maximum price; at the offer's lower price it lasts longer.
    assert.ok(later.runsDryAt > later.endsAt);
  });

  test("a replayed order is refused with the contract's reason", async () => {
    const tenant = await gaslessTenant();
    const tenantSdk = sdkFor(tenant);
    const spec = await tenantSdk.rentalSpec(rental);
    const order = await tenantSdk.signRequest(spec, await tenantSdk.depositFor(spec));
    const matcher = sdkFor(dev("matcher"));
    await matcher.matchSignedRequest(order, BigInt(devnet.offers[0]));
    await rejects(matcher.matchSignedRequest(order, BigInt(devnet.offers[0])), "SignedRequests_NonceUsed",
      /already used: it cannot be replayed/);
  });

  test("an expired order is refused", async () => {
    const tenant = await gaslessTenant();
    const tenantSdk = sdkFor(tenant);
    const spec = await tenantSdk.rentalSpec(rental);
    const order = await tenantSdk.signRequest(spec, await tenantSdk.depositFor(spec), { validForSeconds: 60 });
    await advance(120);
    await rejects(sdkFor(dev("matcher")).matchSignedRequest(order, BigInt(devnet.offers[0])), "SignedRequests_Expired",
      /expired at .*sign a new one/);
  });

  test("an altered order and a cancelled nonce are refused", async () => {
    const tenantSdk = sdkFor(dev("tenant"));
    const spec = await tenantSdk.rentalSpec(rental);
    const order = await tenantSdk.signRequest(spec, await tenantSdk.depositFor(spec));
    const matcher = sdkFor(dev("matcher"));
    const altered = { ...order, request: { ...order.request, deposit: order.request.deposit + 1n } };
    await rejects(matcher.matchSignedRequest(altered, 1n), "SignedRequests_InvalidSignature", /is not 0x/);
    await tenantSdk.cancelSignedRequest(order.request.nonce);
    assert.equal(await tenantSdk.nonceStatus(order.request.tenant, order.request.nonce), "CANCELLED");
    await rejects(matcher.matchSignedRequest(order, 1n), "SignedRequests_NonceCancelled", /was cancelled/);
  });

  test("an offer that cannot take the order names why and leaves the signature usable", async () => {
    const tenant = await gaslessTenant();
    const tenantSdk = sdkFor(tenant);
    const spec = await tenantSdk.rentalSpec({ ...rental, maxPricePerUnitHour: 2n * USD });
    const order = await tenantSdk.signRequest(spec, await tenantSdk.depositFor(spec));
    await rejects(sdkFor(dev("matcher")).matchSignedRequest(order, BigInt(devnet.offers[0])),
      "LeaseMarket_SignedRequestNotMatched", /price is above the maximum/);
    assert.equal(await tenantSdk.nonceStatus(tenant.address, order.request.nonce), "UNUSED");
  });

  test("the order book takes a signed order, a matcher matches it, and a replay is refused", async () => {
    const tenant = await gaslessTenant();
    const tenantSdk = sdkFor(tenant);
    const spec = await tenantSdk.rentalSpec({ ...rental, gpuModel: "nvidia-a100-80gb", units: 1 });
    const order = await tenantSdk.signRequest(spec, await tenantSdk.depositFor(spec));
    await tenantSdk.postSignedRequest(devnet.orderBookUrl, order);
    await rejects(tenantSdk.postSignedRequest(devnet.orderBookUrl, order), "OrderBookRefused", /already/);
    let ids: bigint[] = [];
    for (let i = 0; i < 100 && ids.length === 0; i++) {
      ids = await tenantSdk.requestsOf(tenant.address);
      if (ids.length === 0) await new Promise((r) => setTimeout(r, 100)); // the matcher is another process
    }
    assert.equal(ids.length, 1);
    assert.equal((await tenantSdk.leaseStatus(ids[0])).gpuModel, "nvidia-a100-80gb");
  });
});

suite("tenant and provider actions", () => {
  test("create with a permit, top up, close; the provider withdraws its earnings", async () => {
    const tenantSdk = sdkFor(dev("tenant"));
    const spec = await tenantSdk.rentalSpec({ ...rental, gpuModel: "nvidia-rtx-4090-24gb", units: 1,
      maxPricePerUnitHour: USD });
    const requestId = await tenantSdk.createRequest(spec, await tenantSdk.depositFor(spec));
    const pair = [{ requestId, offerId: BigInt(devnet.offers[2]) }];
    const matcher = createWalletClient({ chain, transport: http(devnet.rpcUrl), account: dev("matcher") });
    const { leaseMarketAbi } = await import("../src/abi.js");
    const publicClient = createPublicClient({ chain, transport: http(devnet.rpcUrl) });
    await publicClient.waitForTransactionReceipt({ hash: await matcher.writeContract({ address: book.leaseMarket,
      abi: leaseMarketAbi, functionName: "matchRequests", args: [pair] }) });

    const before = await tenantSdk.leaseStatus(requestId);
    await tenantSdk.topUp(requestId, 2n * USD);
    assert.equal((await tenantSdk.leaseStatus(requestId)).balance, before.balance + 2n * USD);

    await advance(3600);
    const providerAddress = devnet.accounts.provider2.address as Address;
    const providerSdk = sdkFor(dev("provider2"));
    const earnings = await providerSdk.earnings(providerAddress);
    assert.ok(earnings.total > 0n);
    const held = await providerSdk.paymentBalance(providerAddress);
    await providerSdk.withdrawEarnings(requestId);
    assert.ok((await providerSdk.paymentBalance(providerAddress)) > held);
    await rejects(providerSdk.withdrawEarnings(requestId), "LeaseMarket_NothingToWithdraw", /since the last/);

    const status = await tenantSdk.leaseStatus(requestId);
    const tenantHeld = await tenantSdk.paymentBalance(status.tenant);
    const historyBefore = await providerSdk.reputationHistory(providerAddress);
    const { receipt } = await tenantSdk.closeLease(requestId);
    // The refund is the one the close paid, and what the status said less the seconds the lease ran
    // since (on a loaded machine the close's block is a second or more later than the status read).
    const [closed] = parseEventLogs({ abi: leaseMarketAbi, eventName: "LeaseClosed", logs: receipt.logs });
    // The tenant closing its own lease gets the reserved settle bounty back beside the refund.
    assert.equal(closed.args.bountyRecipient, status.tenant);
    const back = closed.args.refunded + closed.args.bounty;
    assert.equal(await tenantSdk.paymentBalance(status.tenant), tenantHeld + back);
    const closedAt = (await publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp;
    const ranSince = status.refundIfClosedNow - back;
    assert.ok(ranSince >= 0n && ranSince <= (status.ratePerHour * (closedAt - BigInt(status.now)) + 3599n) / 3600n);
    assert.equal((await tenantSdk.leaseStatus(requestId)).status, "CLOSED");
    // About 1 USD paid, below the 50 USD a lease must pay to count (docs/reputation.md): nothing recorded.
    assert.deepEqual(await providerSdk.reputationHistory(providerAddress), historyBefore);

    const provider = await providerSdk.provider(providerAddress);
    assert.equal(provider.registered, true);
    assert.equal(provider.region, "us-east");
    assert.ok(provider.reputation > 0);
    assert.equal((await providerSdk.offersOf(providerAddress)).length, 1);
    assert.deepEqual(await providerSdk.challengesToAnswer(providerAddress), []);
  });

  test("a provider stakes more", async () => {
    const providerSdk = sdkFor(dev("provider"));
    const address = devnet.accounts.provider.address as Address;
    const before = (await providerSdk.provider(address)).freeStake;
    await rejects(providerSdk.stake(10n ** 30n), "InsufficientBalance", /Nothing was sent/);
    const governance = createWalletClient({ chain, transport: http(devnet.rpcUrl), account: dev("governance") });
    const publicClient = createPublicClient({ chain, transport: http(devnet.rpcUrl) });
    await publicClient.waitForTransactionReceipt({ hash: await governance.writeContract({ address: book.stakeToken,
      abi: mintAbi, functionName: "mint", args: [address, 5n * USD] }) });
    await providerSdk.stake(5n * USD);
    assert.equal((await providerSdk.provider(address)).freeStake, before + 5n * USD);
  });

  test("jobs and disputes read back, an unknown job in plain words", async () => {
    const sdk = sdkFor();
    assert.deepEqual(await sdk.jobIds(), []);
    const job = await sdk.job(999n).catch((error: LeaseholdError) => error);
    if (job instanceof LeaseholdError) assert.match(job.message, /^JobMarket|job/i);
    else assert.equal(job.status, "NONE");
    assert.equal(await sdk.dispute(999n).catch(() => undefined), undefined);
  });
});

suite("bad input: one clear message, nothing sent", () => {
  async function nothingSentBy(address: Address, action: () => Promise<unknown>, code: string, pattern: RegExp) {
    const publicClient = createPublicClient({ chain, transport: http(devnet.rpcUrl) });
    const nonce = await publicClient.getTransactionCount({ address });
    await rejects(action(), code, pattern);
    assert.equal(await publicClient.getTransactionCount({ address }), nonce);
  }

  test("no wallet", async () => {
    await rejects(sdkFor().signRequest(await sdkFor().rentalSpec(rental), USD), "NoWallet", /No wallet/);
  });

  test("wrong network", async () => {
    const tenant = dev("tenant");
    await nothingSentBy(tenant.address, async () => sdkFor(tenant, { chainId: 1 }).topUp(1n, USD), "WrongNetwork",
      /on chain 31337, but Leasehold is deployed on chain 1/);
  });

  test("a GPU model not in the catalogue", async () => {
    await rejects(sdkFor(dev("tenant")).rentalSpec({ ...rental, gpuModel: "nvidia-b200-192gb" }), "GpuNotInCatalogue",
      /not in the catalogue/);
  });

  test("insufficient balance", async () => {
    const tenant = await gaslessTenant(USD);
    const sdk = sdkFor(tenant);
    await rejects(sdk.signRequest(await sdk.rentalSpec(rental), 1_000n * USD), "InsufficientBalance",
      /1 held, 1000 needed/);
  });

  test("a rejected signature", async () => {
    const real = dev("tenant");
    const refusing = toAccount({
      address: real.address,
      signMessage: real.signMessage,
      signTransaction: real.signTransaction,
      async signTypedData() {
        throw new UserRejectedRequestError(new Error("User rejected the request."));
      },
    });
    const sdk = sdkFor(refusing);
    await nothingSentBy(real.address, async () => sdk.signRequest(await sdk.rentalSpec(rental), 100n * USD),
      "Rejected", /rejected in the wallet/);
  });

  test("every custom error of the protocol reads as words", () => {
    assert.ok(protocolErrorsAbi.length > 100);
    for (const error of protocolErrorsAbi) {
      const args = error.inputs.map((input) => (input.type === "address" ? "0x00000000000000000000000000000000000000aa"
        : input.type.startsWith("bytes") ? "0x00" : input.type === "bool" ? false : 1n));
      const message = describe(error.name, args);
      assert.match(message, /^[A-Z0-9][^]*\.$/, `${error.name}: ${message}`);
      assert.ok(!message.includes("undefined"), `${error.name}: ${message}`);
    }
  });
});
