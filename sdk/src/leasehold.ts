import {
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
  getAddress,
} from "viem";

import { DELIVERY_DOMAIN, type Manifest, type WorkloadAccess, deliveryTypes, manifestHash } from "./delivery.js";
import { erc20PermitAbi, jobMarketAbi, leaseMarketAbi, protocolConfigAbi, providerRegistryAbi } from "./abi.js";
import type { AddressBook } from "./deployment.js";
import { LeaseholdError, toLeaseholdError } from "./errors.js";
import { ZERO_BYTES32, fromBytes32, toBytes32 } from "./ids.js";
import { capacityProof, seedSlot } from "./liveness.js";
import {
  type PermitSignature,
  type RequestSpec,
  SIGNED_REQUEST_DOMAIN,
  type SignedOrder,
  orderToWire,
  permitTypes,
  signedRequestTypes,
} from "./signed.js";

/** The gas limit a call is sent with: its estimate × 1.2 + 60,000, as the keepers send (keepers/sender.py). */
export const GAS_HEADROOM_PERCENT = 120n;
export const GAS_MARGIN = 60_000n;

export const LEASE_STATUS = ["NULL", "ACTIVE", "EXPIRED", "INSOLVENT", "CLOSED", "TERMINATED"] as const;
export const JOB_STATUS = [
  "NONE", "MATCHED", "LATE", "SUBMITTED", "FINALIZABLE", "DISPUTED", "FINALIZED", "EXPIRED", "SLASHED", "VOIDED",
] as const;
export const NONCE_STATUS = ["UNUSED", "USED", "CANCELLED"] as const;
export const TIERS = ["Entry", "Low", "Medium", "High", "Ultra"] as const;

export interface RentalInput {
  /** A GPU model id from the catalogue, e.g. "nvidia-h100-80gb". */
  gpuModel: string;
  units: number;
  /** The most the tenant pays per unit-hour, in payment-token units. */
  maxPricePerUnitHour: bigint;
  durationSeconds: number;
  /** "" or absent: any region. */
  region?: string;
  minTier?: number;
  minReputation?: number;
  /** How long matchers have to match it (default one hour). */
  matchWithinSeconds?: number;
  /** Re-open the unused deposit as a new request, the provider excluded, when the provider fails the
   * lease (a missed liveness challenge or a reclaim); default false (docs/leases.md, "Re-match"). */
  rematch?: boolean;
}

export interface LeaseView {
  leaseId: bigint;
  status: (typeof LEASE_STATUS)[number];
  tenant: Address;
  provider: Address;
  gpuModel: string;
  region: string;
  units: number;
  pricePerUnitHour: bigint;
  ratePerHour: bigint;
  /** The streaming balance (deposit less match fee and settle bounty, plus top-ups). */
  balance: bigint;
  settleBounty: bigint;
  accrued: bigint;
  withdrawable: bigint;
  startTime: number;
  endsAt: number;
  /** When the balance is used up at this rate (may be after `endsAt`). */
  runsDryAt: number;
  /** Seconds until the lease stops streaming (the earlier of end and running dry); 0 once stopped. */
  timeLeftSeconds: number;
  /** What the tenant gets back if it closes now: the unstreamed balance plus its settle bounty. */
  refundIfClosedNow: bigint;
  /** Times its request may still be re-opened if the provider fails it (0: not opted in, or used up). */
  rematchesLeft: number;
  /** The failed lease this lease's request was re-opened from, with that lease's provider excluded; 0n if none. */
  reopenedFrom: bigint;
  now: number;
}

/** One entry of a provider's reputation history (`reputationHistory`). */
export interface ReputationEvent {
  /** The block's timestamp (unix seconds). */
  time: number;
  blockNumber: bigint;
  transactionHash: Hex;
  kind: (typeof OUTCOMES)[number] | (typeof SLASH_KINDS)[number] | "UNKNOWN" | "SLASHED";
  /** Stake taken, for a slash (0 otherwise). */
  slashed: bigint;
}

/** Registry.Outcome, and Registry.SlashReason as the history names it. */
export const OUTCOMES = ["NONE", "LEASE_COMPLETED", "JOB_FINALIZED", "LIVENESS_ANSWERED"] as const;
export const SLASH_KINDS = ["LIVENESS_MISSED", "LATE_RESULT", "DISPUTE_LOST"] as const;

export interface OfferView {
  offerId: bigint;
  provider: Address;
  gpuModel: string;
  vramGB: number;
  tier: number;
  tierName: string;
  region: string;
  units: number;
  unitsFree: number;
  pricePerUnitHour: bigint;
  maxDurationSeconds: number;
  active: boolean;
}

type Client = PublicClient<Transport, Chain | undefined>;
type Wallet = WalletClient<Transport, Chain | undefined, Account | undefined>;

export interface LeaseholdOptions {
  publicClient: Client;
  walletClient?: Wallet;
  book: AddressBook;
}

/** One function per user action of the Leasehold market. Every refusal is a LeaseholdError with
 * one readable line; every write is checked (network, wallet, inputs, balance) and simulated
 * before anything is signed or sent. */
export class Leasehold {
  readonly publicClient: Client;
  readonly walletClient?: Wallet;
  readonly book: AddressBook;

  constructor({ publicClient, walletClient, book }: LeaseholdOptions) {
    this.publicClient = publicClient;
    this.walletClient = walletClient;
    this.book = book;
  }

  /* ------------------------------------------------------------------ guards */

  /** The wallet's account on the deployment's chain, or a readable refusal. */
  async account(): Promise<Address> {
    if (!this.walletClient) throw new LeaseholdError("NoWallet", "No wallet is connected.");
    let address = this.walletClient.account?.address;
    if (!address) {
      const addresses = await this.walletClient.getAddresses().catch((e) => {
        throw toLeaseholdError(e);
      });
      address = addresses[0];
    }
    if (!address) throw new LeaseholdError("NoWallet", "The wallet has no account connected.");
    const chainId = await this.walletClient.getChainId();
    if (chainId !== this.book.chainId) {
      throw new LeaseholdError(
        "WrongNetwork",
        `The wallet is on chain ${chainId}, but Leasehold is deployed on chain ${this.book.chainId}: switch network.`,
        [chainId, this.book.chainId],
      );
    }
    return address;
  }

  /**
   * Simulates `call` from the account, then sends it and waits for its receipt. The gas limit is
   * the estimate with the keepers' headroom (keepers/sender.py): the block that includes the call
   * is later than the one it was estimated on, and a later time can take a dearer path (a lease
   * that accrued since pays its provider where the estimate paid nothing), which an exact
   * estimate would leave out of gas.
   */
  private async send(call: { address: Address; abi: readonly unknown[]; functionName: string; args?: unknown[] }) {
    const account = await this.account();
    try {
      const { request, result } = await this.publicClient.simulateContract({ ...call, account } as never);
      const estimate = await this.publicClient.estimateContractGas({ ...call, account } as never);
      const gas = (estimate * GAS_HEADROOM_PERCENT) / 100n + GAS_MARGIN;
      const hash = await this.walletClient!.writeContract({ ...(request as object), account, gas } as never);
      const receipt = await this.publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") {
        if (receipt.gasUsed >= gas) {
          throw new LeaseholdError("Reverted", `Transaction ${hash} ran out of gas (${gas} sent).`);
        }
        // Replayed on the state its block met, to name the contract's error where it still reverts there.
        await this.publicClient.simulateContract({ ...call, account, blockNumber: receipt.blockNumber - 1n } as never);
        throw new LeaseholdError("Reverted", `Transaction ${hash} reverted in block ${receipt.blockNumber}.`);
      }
      return { hash, receipt, result: result as unknown };
    } catch (error) {
      throw toLeaseholdError(error);
    }
  }

  private read<T>(address: Address, abi: readonly unknown[], functionName: string, args: unknown[] = []): Promise<T> {
    return this.publicClient
      .readContract({ address, abi, functionName, args } as never)
      .catch((e) => {
        throw toLeaseholdError(e);
      }) as Promise<T>;
  }

  /** The latest block's timestamp: leases stream by chain time, not by this machine's clock. */
  async chainTime(): Promise<number> {
    return Number((await this.publicClient.getBlock({ blockTag: "latest" })).timestamp);
  }

  /* ------------------------------------------------------------------ market */

  async marketParams() {
    return this.read<{ paused: boolean; matchFee: bigint; settleBounty: bigint; minLeaseSeconds: number;
      protocolFeeBps: number }>(this.book.protocolConfig, protocolConfigAbi, "marketParams");
  }

  /** A catalogue entry by text id; refuses a model the catalogue does not list. */
  async gpuModel(name: string) {
    const model = await this.read<{ collateralPerUnit: bigint; vramGB: number; tier: number; listed: boolean }>(
      this.book.protocolConfig, protocolConfigAbi, "gpuModel", [toBytes32(name)],
    );
    if (!model.listed) {
      throw new LeaseholdError("GpuNotInCatalogue", `The GPU model "${name}" is not in the catalogue.`, [name]);
    }
    return { id: name, ...model, tierName: TIERS[model.tier] };
  }

  /** Every offer ever listed, with its provider's region and its model's tier. */
  async offers(): Promise<OfferView[]> {
    const count = await this.read<bigint>(this.book.providerRegistry, providerRegistryAbi, "offerCount");
    const offers: OfferView[] = [];
    for (let id = 1n; id <= count; id++) offers.push(await this.offer(id));
    return offers;
  }

  async offer(offerId: bigint): Promise<OfferView> {
    const o = await this.read<{ provider: Address; units: number; unitsInUse: number; paused: boolean;
      removed: boolean; gpuModel: Hex; pricePerUnitHour: bigint; maxDurationSeconds: number }>(
      this.book.providerRegistry, providerRegistryAbi, "offer", [offerId],
    );
    const provider = await this.read<{ region: Hex }>(this.book.providerRegistry, providerRegistryAbi, "provider",
      [o.provider]);
    const model = await this.read<{ vramGB: number; tier: number }>(this.book.protocolConfig, protocolConfigAbi,
      "gpuModel", [o.gpuModel]);
    return {
      offerId, provider: o.provider, gpuModel: fromBytes32(o.gpuModel), vramGB: model.vramGB, tier: model.tier,
      tierName: TIERS[model.tier] ?? String(model.tier), region: fromBytes32(provider.region), units: o.units,
      unitsFree: o.units - o.unitsInUse, pricePerUnitHour: o.pricePerUnitHour,
      maxDurationSeconds: Number(o.maxDurationSeconds), active: !o.paused && !o.removed,
    };
  }

  /* ------------------------------------------------------------------ tenant */

  /** A RENTAL spec from plain input, checked against the catalogue. */
  async rentalSpec(input: RentalInput): Promise<RequestSpec> {
    await this.gpuModel(input.gpuModel);
    if (!Number.isInteger(input.units) || input.units < 1) {
      throw new LeaseholdError("BadInput", "Units must be a whole number of at least 1.");
    }
    if (input.maxPricePerUnitHour <= 0n) throw new LeaseholdError("BadInput", "The maximum price must be above zero.");
    return {
      gpuModel: toBytes32(input.gpuModel), minVramGB: 0, units: input.units,
      region: input.region ? toBytes32(input.region) : ZERO_BYTES32, minTier: input.minTier ?? 0,
      minReputation: input.minReputation ?? 0, maxPricePerUnitHour: input.maxPricePerUnitHour,
      maxDurationSeconds: input.durationSeconds,
      matchDeadline: (await this.chainTime()) + (input.matchWithinSeconds ?? 3600),
      kind: 0, jobTermsHash: ZERO_BYTES32, rematch: input.rematch ?? false,
    };
  }

  /** The deposit that streams the whole duration at the maximum price, plus the match fee and bounty. */
  async depositFor(spec: RequestSpec): Promise<bigint> {
    const params = await this.marketParams();
    const streaming = (spec.maxPricePerUnitHour * BigInt(spec.units) * BigInt(spec.maxDurationSeconds) + 3599n) / 3600n;
    return streaming + params.matchFee + params.settleBounty;
  }

  async paymentBalance(owner: Address): Promise<bigint> {
    return this.read<bigint>(this.book.paymentToken, erc20PermitAbi, "balanceOf", [owner]);
  }

  private async requireBalance(owner: Address, amount: bigint): Promise<void> {
    const balance = await this.paymentBalance(owner);
    if (balance < amount) {
      throw new LeaseholdError(
        "InsufficientBalance",
        `Insufficient balance: ${formatUsd(balance)} held, ${formatUsd(amount)} needed. Nothing was sent.`,
        [balance, amount],
      );
    }
  }

  /** Signs an ERC-2612 permit of `value` from the account to `spender`. */
  async signPermit(spender: Address, value: bigint, deadline: bigint): Promise<PermitSignature> {
    const owner = await this.account();
    const [, name, version] = await this.read<readonly [Hex, string, string]>(this.book.paymentToken, erc20PermitAbi,
      "eip712Domain");
    const nonce = await this.read<bigint>(this.book.paymentToken, erc20PermitAbi, "nonces", [owner]);
    try {
      const signature = await this.walletClient!.signTypedData({
        account: this.walletClient!.account ?? owner,
        domain: { name, version, chainId: this.book.chainId, verifyingContract: this.book.paymentToken },
        types: permitTypes, primaryType: "Permit",
        message: { owner, spender, value, nonce, deadline },
      });
      return splitSignature(signature, deadline);
    } catch (error) {
      throw toLeaseholdError(error);
    }
  }

  /** Posts a request and its deposit in one transaction, approving through a permit. */
  async createRequest(spec: RequestSpec, deposit: bigint): Promise<bigint> {
    const owner = await this.account();
    await this.requireBalance(owner, deposit);
    const permit = await this.signPermit(this.book.leaseMarket, deposit, BigInt((await this.chainTime()) + 3600));
    const { result } = await this.send({
      address: this.book.leaseMarket, abi: leaseMarketAbi, functionName: "createRequestWithPermit",
      args: [spec, deposit, permit.deadline, permit.v, permit.r, permit.s],
    });
    return result as bigint;
  }

  /** Signs a gasless request and its permit (two signatures, no transaction): hand the order to
   * a matcher (`postSignedRequest`), which posts and matches it in one transaction. */
  async signRequest(spec: RequestSpec, deposit: bigint, options: { nonce?: bigint; validForSeconds?: number } = {})
    : Promise<SignedOrder> {
    const tenant = await this.account();
    await this.requireBalance(tenant, deposit);
    const nonce = options.nonce ?? randomNonce();
    if ((await this.nonceStatus(tenant, nonce)) !== "UNUSED") {
      throw new LeaseholdError("NonceUsed", `Nonce ${nonce} is already used or cancelled: pick another.`);
    }
    const deadline = BigInt((await this.chainTime()) + (options.validForSeconds ?? 900));
    const request = { tenant, spec, deposit, nonce, deadline };
    let signature: Hex;
    try {
      signature = await this.walletClient!.signTypedData({
        account: this.walletClient!.account ?? tenant,
        domain: { ...SIGNED_REQUEST_DOMAIN, chainId: this.book.chainId, verifyingContract: this.book.leaseMarket },
        types: signedRequestTypes, primaryType: "SignedRequest", message: request,
      });
    } catch (error) {
      throw toLeaseholdError(error);
    }
    const permit = await this.signPermit(this.book.leaseMarket, deposit, deadline);
    return { chainId: this.book.chainId, market: this.book.leaseMarket, request, signature, permit };
  }

  /** Hands a signed order to a matcher's order book; its refusal comes back as one line. */
  async postSignedRequest(orderBookUrl: string, order: SignedOrder): Promise<string> {
    let response: Response;
    try {
      response = await fetch(`${orderBookUrl.replace(/\/$/, "")}/signed-requests`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(orderToWire(order)),
      });
    } catch (error) {
      throw new LeaseholdError("OrderBookUnreachable", `The order book at ${orderBookUrl} did not answer.`, [],
        { cause: error });
    }
    const body = (await response.json().catch(() => ({}))) as { key?: string; error?: string };
    if (!response.ok) throw new LeaseholdError("OrderBookRefused", body.error ?? `order book: HTTP ${response.status}`);
    return body.key ?? "";
  }

  async nonceStatus(tenant: Address, nonce: bigint): Promise<(typeof NONCE_STATUS)[number]> {
    const status = await this.read<number>(this.book.leaseMarket, leaseMarketAbi, "nonceStatus", [tenant, nonce]);
    return NONCE_STATUS[status];
  }

  /** Refuses every signature over `nonce` from now on (the tenant pays this one's gas). */
  async cancelSignedRequest(nonce: bigint) {
    return this.send({ address: this.book.leaseMarket, abi: leaseMarketAbi, functionName: "cancelSignedRequest",
      args: [nonce] });
  }

  /** A matcher posts and matches a signed order with `offerId`; returns the lease id. */
  async matchSignedRequest(order: SignedOrder, offerId: bigint): Promise<bigint> {
    if (order.chainId !== this.book.chainId || getAddress(order.market) !== this.book.leaseMarket) {
      throw new LeaseholdError("WrongNetwork", "The order was signed for another chain or market.");
    }
    const { result } = await this.send({
      address: this.book.leaseMarket, abi: leaseMarketAbi, functionName: "matchSignedRequest",
      args: [order.request, order.permit, order.signature, offerId],
    });
    return result as bigint;
  }

  async cancelRequest(requestId: bigint) {
    return this.send({ address: this.book.leaseMarket, abi: leaseMarketAbi, functionName: "cancelRequest",
      args: [requestId] });
  }

  /** Adds `amount` to a running lease, approving it through a permit. */
  async topUp(leaseId: bigint, amount: bigint) {
    if (amount <= 0n) throw new LeaseholdError("BadInput", "The amount must be above zero.");
    const owner = await this.account();
    await this.requireBalance(owner, amount);
    const allowance = await this.read<bigint>(this.book.paymentToken, erc20PermitAbi, "allowance",
      [owner, this.book.leaseMarket]);
    if (allowance < amount) {
      await this.send({ address: this.book.paymentToken, abi: erc20PermitAbi, functionName: "approve",
        args: [this.book.leaseMarket, amount] });
    }
    return this.send({ address: this.book.leaseMarket, abi: leaseMarketAbi, functionName: "topUp",
      args: [leaseId, amount] });
  }

  async closeLease(leaseId: bigint) {
    return this.send({ address: this.book.leaseMarket, abi: leaseMarketAbi, functionName: "closeLease",
      args: [leaseId] });
  }

  /** A lease as a tenant watches it: what streamed, what is left, when it stops, the refund now. */
  async leaseStatus(leaseId: bigint): Promise<LeaseView> {
    const [lease, statusIndex, balance, accrued, withdrawable, now] = await Promise.all([
      this.read<{ tenant: Address; provider: Address; pricePerUnitHour: bigint; units: number; settleBounty: bigint;
        startTime: number; durationSeconds: number; stopTime: number; gpuModel: Hex; region: Hex;
        rematchesLeft: number; reopenedFrom: bigint }>(
        this.book.leaseMarket, leaseMarketAbi, "getLease", [leaseId]),
      this.read<number>(this.book.leaseMarket, leaseMarketAbi, "statusOf", [leaseId]),
      this.read<bigint>(this.book.leaseMarket, leaseMarketAbi, "balanceOf", [leaseId]),
      this.read<bigint>(this.book.leaseMarket, leaseMarketAbi, "accruedOf", [leaseId]),
      this.read<bigint>(this.book.leaseMarket, leaseMarketAbi, "withdrawableOf", [leaseId]),
      this.chainTime(),
    ]);
    const status = LEASE_STATUS[statusIndex];
    const ratePerHour = lease.pricePerUnitHour * BigInt(lease.units);
    const startTime = Number(lease.startTime);
    const endsAt = startTime + Number(lease.durationSeconds);
    const runsDryAt = startTime + Number(ratePerHour === 0n ? 0n : (balance * 3600n + ratePerHour - 1n) / ratePerHour);
    const stopsAt = Number(lease.stopTime) || Math.min(endsAt, runsDryAt);
    const settled = status === "CLOSED" || status === "TERMINATED";
    return {
      leaseId, status, tenant: lease.tenant, provider: lease.provider, gpuModel: fromBytes32(lease.gpuModel),
      region: fromBytes32(lease.region), units: lease.units, pricePerUnitHour: lease.pricePerUnitHour, ratePerHour,
      balance, settleBounty: lease.settleBounty, accrued, withdrawable, startTime, endsAt, runsDryAt,
      timeLeftSeconds: Math.max(0, stopsAt - now),
      refundIfClosedNow: settled ? 0n : balance - accrued + lease.settleBounty, now,
      rematchesLeft: Number(lease.rematchesLeft), reopenedFrom: lease.reopenedFrom,
    };
  }

  /** The ids of every request `tenant` posted (signed or sent) and of those re-opened for it after a
   * provider failed its lease (docs/leases.md, "Re-match"), oldest first. */
  async requestsOf(tenant: Address): Promise<bigint[]> {
    const [created, reopened] = await Promise.all(["RequestCreated", "RequestReopened"].map((eventName) =>
      this.publicClient.getContractEvents({
        address: this.book.leaseMarket, abi: leaseMarketAbi, eventName: eventName as "RequestCreated",
        args: { tenant }, fromBlock: this.book.fromBlock,
      })));
    const ids = [...created, ...reopened].map((log) => log.args.requestId as bigint);
    return ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** The ids of every lease that started, or of those of one provider. */
  async leaseIds(provider?: Address): Promise<bigint[]> {
    const logs = await this.publicClient.getContractEvents({
      address: this.book.leaseMarket, abi: leaseMarketAbi, eventName: "LeaseStarted",
      args: provider ? { provider } : undefined, fromBlock: this.book.fromBlock,
    });
    return logs.map((log) => log.args.leaseId as bigint);
  }

  /* ------------------------------------------------------------------ delivery */

  /** Where the lease's provider serves tenants: its on-chain metadata URI, when it is an http(s) URL. */
  async accessServer(leaseId: bigint): Promise<string> {
    const lease = await this.read<{ provider: Address }>(this.book.leaseMarket, leaseMarketAbi, "getLease", [leaseId]);
    const uri = await this.read<string>(this.book.providerRegistry, providerRegistryAbi, "metadataURI", [lease.provider]);
    if (!/^https?:\/\//.test(uri)) {
      throw new LeaseholdError("NoAccessServer",
        `Lease ${leaseId}: provider ${lease.provider} advertises no access server (its metadata URI is "${uri}").`);
    }
    return uri.replace(/\/+$/, "");
  }

  /** Sends the lease's committed manifest to its provider, signed by the tenant: the workload is launched and
   * its access returned. The manifest must hash to the lease's commitment; manifests with secrets need the
   * CLI (they are sealed to the provider's key). */
  async deployWorkload(leaseId: bigint, manifest: Manifest): Promise<WorkloadAccess> {
    const tenant = await this.account();
    const hash = manifestHash(manifest);
    const commitment = await this.read<Hex>(this.book.leaseMarket, leaseMarketAbi, "jobTermsHashOf", [leaseId]);
    if (commitment === ZERO_BYTES32) {
      throw new LeaseholdError("NoManifest", `Lease ${leaseId} committed to no manifest: nothing to deploy.`);
    }
    if (hash !== commitment) {
      throw new LeaseholdError("ManifestMismatch",
        `The manifest hashes to ${hash}, but lease ${leaseId} committed to ${commitment}. Nothing was sent.`);
    }
    if (Array.isArray(manifest.secrets) && manifest.secrets.length) {
      throw new LeaseholdError("SecretsNeedSealing",
        "This manifest has secrets: deploy it with the CLI (`leasehold tenant deploy`), which seals them to the provider.");
    }
    const url = await this.accessServer(leaseId);
    const issuedAt = BigInt(await this.chainTime());
    const signature = await this.signDelivery(tenant, "Deploy", {
      leaseId, manifestHash: hash, secretsHash: ZERO_BYTES32, issuedAt,
    });
    const body = { manifest, sealed_secrets: {}, issued_at: Number(issuedAt), signature };
    return toAccess(await (await this.delivery(url, leaseId, "deploy", body)).json());
  }

  /** The endpoints and credential of the lease's workload, from its provider; only the lease's tenant gets them. */
  async workloadAccess(leaseId: bigint): Promise<WorkloadAccess> {
    return toAccess(await (await this.signedDelivery(leaseId, "access", {})).json());
  }

  /** The workload's output so far (stdout and stderr), from its provider; only the lease's tenant reads it. */
  async workloadLogs(leaseId: bigint): Promise<string> {
    return (await this.signedDelivery(leaseId, "logs", { follow: false })).text();
  }

  private async signedDelivery(leaseId: bigint, action: "access" | "logs", extra: object): Promise<Response> {
    const tenant = await this.account();
    const url = await this.accessServer(leaseId);
    const issuedAt = BigInt(await this.chainTime());
    const signature = await this.signDelivery(tenant, "LeaseRequest", { leaseId, action, issuedAt });
    return this.delivery(url, leaseId, action, { ...extra, issued_at: Number(issuedAt), signature });
  }

  private async signDelivery(account: Address, primaryType: keyof typeof deliveryTypes,
    message: Record<string, unknown>): Promise<Hex> {
    try {
      return await this.walletClient!.signTypedData({
        account: this.walletClient!.account ?? account,
        domain: { ...DELIVERY_DOMAIN, chainId: this.book.chainId, verifyingContract: this.book.leaseMarket },
        types: { [primaryType]: deliveryTypes[primaryType] }, primaryType, message,
      } as never);
    } catch (error) {
      throw toLeaseholdError(error);
    }
  }

  /** POSTs to the access server; its refusal comes back as its one line. */
  private async delivery(url: string, leaseId: bigint, action: string, body: object): Promise<Response> {
    const target = `${url}/leases/${leaseId}/${action}`;
    let response: Response;
    try {
      response = await fetch(target, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
    } catch (error) {
      throw new LeaseholdError("AccessServerUnreachable", `The provider's access server at ${url} did not answer.`,
        [], { cause: error });
    }
    if (!response.ok) {
      const answer = (await response.json().catch(() => ({}))) as { error?: string };
      throw new LeaseholdError("DeliveryRefused",
        `The provider refused: ${answer.error ?? `its access server answered HTTP ${response.status}`}`,
        [response.status]);
    }
    return response;
  }

  /* ------------------------------------------------------------------ provider */

  async provider(account: Address) {
    const [registered, record, reputation, uptime] = await Promise.all([
      this.read<boolean>(this.book.providerRegistry, providerRegistryAbi, "isRegistered", [account]),
      this.read<{ region: Hex; freeStake: bigint; lockedStake: bigint; unbondingStake: bigint;
        unbondingReadyAt: number; leasesCompleted: number; feesPaid: number; jobsFinalized: number; livenessAnswered: number;
        livenessMissed: number; disputesLost: number; slashCount: number; totalSlashed?: bigint }>(
        this.book.providerRegistry, providerRegistryAbi, "provider", [account]),
      this.read<number>(this.book.providerRegistry, providerRegistryAbi, "reputationOf", [account]),
      this.read<number>(this.book.providerRegistry, providerRegistryAbi, "uptimeOf", [account]),
    ]);
    return { address: account, registered, ...record, region: fromBytes32(record.region), reputation, uptime };
  }

  /** The provider's reputation history from the registry's events, oldest first: paid leases completed, paid jobs
   * finalized, liveness challenges answered, and slashes (a missed liveness challenge, a late job result, a
   * lost dispute), each with its block time and transaction. */
  async reputationHistory(account: Address): Promise<ReputationEvent[]> {
    const filter = { address: this.book.providerRegistry, abi: providerRegistryAbi, args: { provider: account },
      fromBlock: this.book.fromBlock } as const;
    const [outcomes, slashes] = await Promise.all([
      this.publicClient.getContractEvents({ ...filter, eventName: "OutcomeRecorded" }),
      this.publicClient.getContractEvents({ ...filter, eventName: "ProviderSlashed" }),
    ]).catch((e) => {
      throw toLeaseholdError(e);
    });
    const events = [
      ...outcomes.map((log) => ({ log, kind: OUTCOMES[Number(log.args.outcome)] ?? "UNKNOWN", slashed: 0n })),
      ...slashes.map((log) => ({ log, kind: SLASH_KINDS[Number(log.args.reason)] ?? "SLASHED",
        slashed: log.args.slashed as bigint })),
    ].sort((a, b) => Number(a.log.blockNumber - b.log.blockNumber) || a.log.logIndex - b.log.logIndex);
    const blocks = [...new Set(events.map((e) => e.log.blockNumber))];
    const times = new Map(await Promise.all(blocks.map(async (blockNumber) =>
      [blockNumber, Number((await this.publicClient.getBlock({ blockNumber })).timestamp)] as const)));
    return events.map(({ log, kind, slashed }) => ({
      time: times.get(log.blockNumber)!, blockNumber: log.blockNumber, transactionHash: log.transactionHash, kind,
      slashed,
    }));
  }

  async offersOf(account: Address): Promise<OfferView[]> {
    return (await this.offers()).filter((o) => o.provider === getAddress(account));
  }

  /** What each of the provider's running leases lets it withdraw now, and the total. */
  async earnings(account: Address) {
    const leases = [];
    for (const leaseId of await this.leaseIds(account)) {
      const withdrawable = await this.read<bigint>(this.book.leaseMarket, leaseMarketAbi, "withdrawableOf", [leaseId]);
      leases.push({ leaseId, withdrawable });
    }
    return { leases, total: leases.reduce((sum, l) => sum + l.withdrawable, 0n) };
  }

  async withdrawEarnings(leaseId: bigint) {
    return this.send({ address: this.book.leaseMarket, abi: leaseMarketAbi, functionName: "withdrawEarnings",
      args: [leaseId] });
  }

  async stake(amount: bigint) {
    if (amount <= 0n) throw new LeaseholdError("BadInput", "The amount must be above zero.");
    const owner = await this.account();
    const balance = await this.read<bigint>(this.book.stakeToken, erc20PermitAbi, "balanceOf", [owner]);
    if (balance < amount) {
      throw new LeaseholdError("InsufficientBalance",
        `Insufficient balance: ${formatUsd(balance)} held, ${formatUsd(amount)} needed. Nothing was sent.`);
    }
    await this.send({ address: this.book.stakeToken, abi: erc20PermitAbi, functionName: "approve",
      args: [this.book.providerRegistry, amount] });
    return this.send({ address: this.book.providerRegistry, abi: providerRegistryAbi, functionName: "stake",
      args: [amount] });
  }

  async addOffer(gpuModel: string, units: number, pricePerUnitHour: bigint, maxDurationSeconds: number) {
    await this.gpuModel(gpuModel);
    return this.send({ address: this.book.providerRegistry, abi: providerRegistryAbi, functionName: "addOffer",
      args: [toBytes32(gpuModel), units, pricePerUnitHour, maxDurationSeconds] });
  }

  /** Answers the lease's open liveness challenge with the capacity proof for its seed, computed here
   * (src/liveness.ts): run it where the leased units are. */
  async respondLiveness(leaseId: bigint) {
    const seed = (await this.publicClient.getStorageAt({ address: this.book.leaseMarket, slot: seedSlot(leaseId) })) ??
      ZERO_BYTES32;
    const lease = await this.read<{ units: number }>(this.book.leaseMarket, leaseMarketAbi, "getLease", [leaseId]);
    const { answer } = capacityProof(seed as Hex, Number(lease.units));
    return this.send({ address: this.book.leaseMarket, abi: leaseMarketAbi, functionName: "respondLiveness",
      args: [leaseId, answer] });
  }

  /** The provider's leases with an open liveness challenge, and until when each may be answered. */
  async challengesToAnswer(account: Address) {
    const open = [];
    const params = await this.read<{ livenessWindowSeconds: number }>(this.book.protocolConfig, protocolConfigAbi,
      "params");
    for (const leaseId of await this.leaseIds(account)) {
      const lease = await this.read<{ challenger: Address; challengedAt: number }>(this.book.leaseMarket,
        leaseMarketAbi, "getLease", [leaseId]);
      if (lease.challenger !== "0x0000000000000000000000000000000000000000") {
        open.push({ leaseId, challenger: lease.challenger,
          answerBy: Number(lease.challengedAt) + Number(params.livenessWindowSeconds) });
      }
    }
    return open;
  }

  /* ------------------------------------------------------------------ jobs */

  /** The ids of every job handed to the job market (job id = request id), or of one provider's. */
  async jobIds(provider?: Address): Promise<bigint[]> {
    const logs = await this.publicClient.getContractEvents({
      address: this.book.leaseMarket, abi: leaseMarketAbi, eventName: "JobHandedOver",
      args: provider ? { provider } : undefined, fromBlock: this.book.fromBlock,
    });
    return logs.map((log) => log.args.requestId as bigint);
  }

  async job(jobId: bigint) {
    const [job, status] = await Promise.all([
      this.read<Record<string, unknown>>(this.book.jobMarket, jobMarketAbi, "getJob", [jobId]),
      this.read<number>(this.book.jobMarket, jobMarketAbi, "statusOf", [jobId]),
    ]);
    return { jobId, ...job, status: JOB_STATUS[status] };
  }

  /** The job's dispute game and whose move it is, or undefined when none is running. */
  async dispute(jobId: bigint) {
    const dispute = await this.read<{ challenger: Address } & Record<string, unknown>>(this.book.jobMarket,
      jobMarketAbi, "disputeOf", [jobId]);
    if (dispute.challenger === "0x0000000000000000000000000000000000000000") return undefined;
    const [phase, deadline, mover] = await this.read<readonly [number, number, Address]>(this.book.jobMarket,
      jobMarketAbi, "nextMove", [jobId]);
    return { ...dispute, next: { phase, deadline: Number(deadline), mover } };
  }
}

function splitSignature(signature: Hex, deadline: bigint): PermitSignature {
  return {
    deadline,
    r: `0x${signature.slice(2, 66)}`,
    s: `0x${signature.slice(66, 130)}`,
    v: Number.parseInt(signature.slice(130, 132), 16),
  };
}

function randomNonce(): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return BigInt(`0x${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`);
}

/** A 6-decimal token amount as text, e.g. 1500000n -> "1.5". */
function toAccess(body: Record<string, unknown>): WorkloadAccess {
  return {
    leaseId: Number(body.lease_id), status: body.status as WorkloadAccess["status"],
    endpoints: (body.endpoints ?? {}) as Record<string, string>, credential: String(body.credential),
    restarts: Number(body.restarts ?? 0), backend: String(body.backend),
  };
}

export function formatUsd(amount: bigint): string {
  const whole = amount / 1_000_000n;
  const fraction = (amount % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole.toString();
}
