import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  type Hex,
  InsufficientFundsError,
  UserRejectedRequestError,
} from "viem";

import { protocolErrorsAbi } from "./abi.js";

/** One readable line for anything the SDK refuses or the chain reverts; `code` names the cause
 * (a contract's custom error name, or an SDK code such as WrongNetwork or Rejected). */
export class LeaseholdError extends Error {
  readonly code: string;
  readonly args: readonly unknown[];

  constructor(code: string, message: string, args: readonly unknown[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LeaseholdError";
    this.code = code;
    this.args = args;
  }
}

type ErrorName = (typeof protocolErrorsAbi)[number]["name"];

const SKIP_REASONS = [
  "none", "the request is not open", "the request's match deadline passed", "the offer does not exist",
  "the offer is paused or removed", "the provider is the tenant", "the GPU model does not fit",
  "the provider's tier is too low", "the region does not fit", "the provider's reputation is too low",
  "the offer's price is above the maximum", "the duration is longer than the offer allows",
  "the offer has too few free units", "the provider's free stake is too small", "no job market is set",
  "the job terms are not published", "the offer's job policy refuses the terms",
  "the provider failed this request's previous lease and is excluded",
];
const LEASE_STATUS = ["unknown", "active", "expired", "insolvent", "closed", "terminated"];
const REQUEST_STATUS = ["unknown", "open", "expired", "matched", "cancelled"];

const time = (t: unknown) => new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z");
const usd = (v: unknown) => `${(Number(v) / 1e6).toLocaleString("en-US", { maximumFractionDigits: 6 })}`;

/** Hand-written lines for the refusals a tenant, provider or matcher meets; the rest are built
 * from the ABI's own parameter names (see `describe`). */
const MESSAGES: Partial<Record<ErrorName, (a: readonly any[]) => string>> = {
  Leasehold_Paused: () => "The market is paused: no new requests or matches for now.",
  Leasehold_MissingRole: (a) => `${a[1]} does not hold the role needed for this call.`,
  Leasehold_TransferAmountMismatch: () => "The token delivered less than asked (fee-on-transfer tokens are refused).",
  ERC20InsufficientBalance: (a) => `Insufficient token balance: ${usd(a[1])} held, ${usd(a[2])} needed.`,
  ERC20InsufficientAllowance: (a) => `Insufficient allowance: ${usd(a[1])} approved, ${usd(a[2])} needed.`,
  ERC2612ExpiredSignature: (a) => `The permit expired at ${time(a[0])}.`,
  ERC2612InvalidSigner: () => "The permit was not signed by the token holder.",
  SignedRequests_Expired: (a) => `The signed request expired at ${time(a[0])}; sign a new one.`,
  SignedRequests_NonceUsed: (a) => `This signed request (nonce ${a[1]}) was already used: it cannot be replayed.`,
  SignedRequests_NonceCancelled: (a) => `This signed request (nonce ${a[1]}) was cancelled by its tenant.`,
  SignedRequests_InvalidSignature: (a) => `The signature is not ${a[0]}'s.`,
  LeaseMarket_SignedRequestNotMatched: (a) => `Offer ${a[0]} cannot take this request: ${SKIP_REASONS[Number(a[1])]}.`,
  LeaseMarket_RematchNotRental: () => "Only a rental can ask for re-match: a job is not re-opened when its solver fails.",
  LeaseMarket_DepositTooSmall: (a) => `The deposit of ${usd(a[0])} is below the minimum of ${usd(a[1])}.`,
  LeaseMarket_InvalidUnits: (a) => `Units must be 1 to ${a[1]}, not ${a[0]}.`,
  LeaseMarket_ZeroPrice: () => "The maximum price must be above zero.",
  LeaseMarket_DurationTooShort: (a) => `The duration of ${a[0]} s is below the minimum lease of ${a[1]} s.`,
  LeaseMarket_MatchDeadlineNotInFuture: (a) => `The match deadline ${time(a[0])} is not in the future.`,
  LeaseMarket_LeaseNotFound: (a) => `Lease ${a[0]} does not exist.`,
  LeaseMarket_LeaseNotActive: (a) => `Lease ${a[0]} is ${LEASE_STATUS[Number(a[1])]}, not active.`,
  LeaseMarket_LeaseSettled: (a) => `Lease ${a[0]} is already settled (${LEASE_STATUS[Number(a[1])]}).`,
  LeaseMarket_RequestNotFound: (a) => `Request ${a[0]} does not exist.`,
  LeaseMarket_RequestNotOpen: (a) => `Request ${a[0]} is ${REQUEST_STATUS[Number(a[1])]}, not open.`,
  LeaseMarket_CallerNotProvider: (a) => `${a[1]} is not the provider of lease ${a[0]}.`,
  LeaseMarket_NothingToWithdraw: (a) => `Nothing has accrued on lease ${a[0]} since the last withdrawal.`,
  LeaseMarket_ZeroAmount: () => "The amount must be above zero.",
  LeaseMarket_CloseNotAllowed: (a) => `${a[1]} may not close lease ${a[0]} while it is ${LEASE_STATUS[Number(a[2])]}.`,
  LeaseMarket_ChallengeOpen: (a) => `Lease ${a[0]} has an open liveness challenge.`,
  ProviderRegistry_NotRegistered: (a) => `${a[0]} is not a registered provider.`,
  ProviderRegistry_AlreadyRegistered: (a) => `${a[0]} is already a registered provider.`,
  ProviderRegistry_GpuModelNotListed: () => "That GPU model is not in the catalogue.",
  ProviderRegistry_InsufficientFreeStake: (a) => `Only ${usd(a[1])} of free stake, ${usd(a[0])} asked.`,
  ProviderRegistry_ZeroAmount: () => "The amount must be above zero.",
};

function words(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
}

/** The readable line of the custom error `name` with `args`, for any error in the protocol's ABIs. */
export function describe(name: string, args: readonly unknown[] = []): string {
  const written = MESSAGES[name as ErrorName];
  if (written) return written(args);
  const item = protocolErrorsAbi.find((e) => e.name === name);
  const [contract, reason] = name.includes("_") ? name.split("_", 2) : ["", name];
  const details = (item?.inputs ?? []).map((input, i) => `${words(input.name)} ${String(args[i])}`).join(", ");
  return `${contract ? `${contract}: ` : ""}${words(reason)}${details ? ` (${details})` : ""}.`.replace(/^./, (c) =>
    c.toUpperCase(),
  );
}

/** Decodes raw revert data with every error the protocol can revert with. */
export function decodeRevert(data: Hex): LeaseholdError | undefined {
  try {
    const decoded = decodeErrorResult({ abi: protocolErrorsAbi, data });
    const args = decoded.args ?? [];
    return new LeaseholdError(decoded.errorName, describe(decoded.errorName, args), args);
  } catch {
    return undefined;
  }
}

/** Any error from a wallet, a node or a contract as one LeaseholdError with a readable message. */
export function toLeaseholdError(error: unknown): LeaseholdError {
  if (error instanceof LeaseholdError) return error;
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      const decoded = reverted.raw ? decodeRevert(reverted.raw) : undefined;
      if (decoded) return Object.assign(decoded, { cause: error });
      const reason = reverted.reason ?? reverted.shortMessage;
      return new LeaseholdError("Reverted", `The transaction would revert: ${reason}`);
    }
    if (error.walk((e) => e instanceof UserRejectedRequestError || (e as { code?: number }).code === 4001)) {
      return new LeaseholdError("Rejected", "The request was rejected in the wallet: nothing was sent.");
    }
    if (error.walk((e) => e instanceof InsufficientFundsError)) {
      return new LeaseholdError("InsufficientGas", "The account has too little ether to pay for gas.");
    }
    return new LeaseholdError("Failed", error.shortMessage, [], { cause: error });
  }
  if ((error as { code?: number })?.code === 4001) {
    return new LeaseholdError("Rejected", "The request was rejected in the wallet: nothing was sent.");
  }
  return new LeaseholdError("Failed", String((error as Error)?.message ?? error), [], { cause: error });
}
