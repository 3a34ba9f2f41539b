// The Leasehold console: Market, Tenant and Provider views over the SDK. Plain DOM, no framework.
// Configuration comes from /leasehold.json: { rpcUrl, orderBookUrl, deployment, devAccounts? }.
import {
  type Address,
  type AddressBook,
  type Chain,
  type DeploymentFile,
  type EIP1193Provider,
  Leasehold,
  LeaseholdError,
  type SignedOrder,
  addressBook,
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  formatUsd,
  http,
  toLeaseholdError,
} from "../../sdk/src/index.ts";

interface ConsoleConfig {
  rpcUrl: string;
  orderBookUrl: string;
  deployment: DeploymentFile;
  devAccounts?: { name: string; address: Address }[];
}

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

const $ = <T extends HTMLElement = HTMLElement>(selector: string) => document.querySelector(selector) as T;

let config: ConsoleConfig;
let book: AddressBook;
let chain: Chain;
let reader: Leasehold;
let sdk: Leasehold | undefined;
let account: Address | undefined;
let view = "market";
let lastOrder: SignedOrder | undefined;
let watchedLease: bigint | undefined;
let knownRequests = new Set<bigint>();
let refreshing = false;

/* ------------------------------------------------------------------ messages */

function showError(error: unknown) {
  const message = toLeaseholdError(error).message;
  const box = $("#message");
  box.textContent = message;
  box.className = "";
  box.hidden = false;
}

function showInfo(text: string) {
  const box = $("#message");
  box.textContent = text;
  box.className = "info";
  box.hidden = false;
}

function clearMessage() {
  $("#message").hidden = true;
}

/** Runs a user action: clears the last message, shows one clear line if it fails. */
async function act(button: HTMLButtonElement | null, action: () => Promise<void>) {
  clearMessage();
  if (button) button.disabled = true;
  try {
    await action();
  } catch (error) {
    showError(error);
  } finally {
    if (button) button.disabled = false;
    void refresh();
  }
}

const usd = (amount: bigint) => `$${formatUsd(amount)}`;
const toUnits = (text: string) => {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new LeaseholdError("BadInput", `"${text}" is not an amount.`);
  return BigInt(Math.round(value * 1e6));
};
const duration = (seconds: number) =>
  seconds <= 0
    ? "stopped"
    : `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min ${seconds % 60} s`;
const when = (t: number) => new Date(t * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC");

/* ------------------------------------------------------------------ wallet */

async function connect() {
  const injected = window.ethereum;
  const devSelect = $<HTMLSelectElement>("#dev-account");
  if (injected) {
    const chainId = Number.parseInt((await injected.request({ method: "eth_chainId" })) as string, 16);
    if (chainId !== book.chainId) {
      throw new LeaseholdError("WrongNetwork",
        `Wrong network: your wallet is on chain ${chainId}; switch it to chain ${book.chainId}, where Leasehold runs.`);
    }
    const walletClient = createWalletClient({ chain, transport: custom(injected) });
    const [address] = await walletClient.requestAddresses().catch((e: unknown) => {
      throw toLeaseholdError(e);
    });
    if (!address) throw new LeaseholdError("NoWallet", "The wallet shared no account.");
    useAccount(address, createWalletClient({ chain, transport: custom(injected), account: address }));
  } else if (config.devAccounts?.length) {
    const address = devSelect.value as Address;
    useAccount(address, createWalletClient({ chain, transport: http(config.rpcUrl), account: address }));
  } else {
    throw new LeaseholdError("NoWallet", "No wallet found: install a browser wallet (EIP-1193) to sign and send.");
  }
}

function useAccount(address: Address, walletClient: ReturnType<typeof createWalletClient>) {
  account = address;
  sdk = new Leasehold({ publicClient: reader.publicClient, walletClient: walletClient as never, book });
  $("#account").textContent = `${address.slice(0, 6)}…${address.slice(-4)}`;
  $("#connect").textContent = "Switch account";
  knownRequests = new Set();
  hideWorkload();
}

function requireWallet(): Leasehold {
  if (!sdk || !account) {
    throw new LeaseholdError("NoWallet", window.ethereum || config.devAccounts?.length
      ? "Connect a wallet first." : "No wallet found: install a browser wallet (EIP-1193) to sign and send.");
  }
  return sdk;
}

/* ------------------------------------------------------------------ views */

function row(cells: (string | Node)[]) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    td.append(cell);
    tr.append(td);
  }
  return tr;
}

async function renderMarket() {
  const offers = await reader.offers();
  $("#offers tbody").replaceChildren(...offers.filter((o) => o.active).map((o) => row([
    String(o.offerId), o.gpuModel, `${o.tier} ${o.tierName}`, o.region, usd(o.pricePerUnitHour), String(o.unitsFree),
    `${o.provider.slice(0, 8)}…`,
  ])));
  $("#gpu-models").replaceChildren(...[...new Set(offers.map((o) => o.gpuModel))].map((model) => {
    const option = document.createElement("option");
    option.value = model;
    return option;
  }));
  const leases = await Promise.all((await reader.leaseIds()).map((id) => reader.leaseStatus(id)));
  $("#leases tbody").replaceChildren(...leases.filter((l) => l.status === "ACTIVE").map((l) => row([
    String(l.leaseId), l.gpuModel, String(l.units), l.status, usd(l.balance - l.accrued), duration(l.timeLeftSeconds),
  ])));
  const jobs = await Promise.all((await reader.jobIds()).map((id) => reader.job(id)));
  $("#jobs tbody").replaceChildren(...jobs.filter((j) => !["FINALIZED", "EXPIRED", "SLASHED", "VOIDED"]
    .includes(j.status)).map((j) => row([
    String(j.jobId), j.status, String(j.units), usd(j.escrow as bigint), `${String(j.provider).slice(0, 8)}…`,
  ])));
}

async function renderTenant() {
  if (!account || !sdk) return;
  const ids = await sdk.requestsOf(account);
  for (const id of ids) {
    if (!knownRequests.has(id) && lastOrder) {
      watchedLease = id;
      $("#order-state").textContent = `Matched: lease ${id} is running.`;
      lastOrder = undefined;
    }
    knownRequests.add(id);
  }
  if (watchedLease === undefined && ids.length) watchedLease = ids[ids.length - 1];
  if (watchedLease === undefined) return;
  const lease = await sdk.leaseStatus(watchedLease).catch(() => undefined);
  if (!lease) return;
  const endpoint = await reader.publicClient.readContract({
    address: book.providerRegistry,
    abi: [{ type: "function", name: "metadataURI", stateMutability: "view",
      inputs: [{ name: "account", type: "address" }], outputs: [{ name: "", type: "string" }] }] as const,
    functionName: "metadataURI", args: [lease.provider],
  });
  const set = (field: string, text: string) => {
    $(`#lease [data-field="${field}"]`).textContent = text;
  };
  $("#lease").hidden = false;
  set("id", String(lease.leaseId));
  set("status", lease.status);
  set("gpu", `${lease.units} × ${lease.gpuModel} in ${lease.region}`);
  set("balance", usd(lease.balance - lease.accrued));
  set("accrued", usd(lease.accrued));
  set("rate", `${usd(lease.ratePerHour)} / hour`);
  set("time-left", duration(lease.timeLeftSeconds));
  set("runs-dry", when(lease.runsDryAt));
  set("refund", usd(lease.refundIfClosedNow));
  set("endpoint", endpoint);
}

/** Asks the lease's provider for the workload's endpoints, credential and recent logs, signed by the wallet. */
async function reachWorkload() {
  hideWorkload();
  const tenantSdk = requireWallet();
  if (watchedLease === undefined) throw new LeaseholdError("NoLease", "No lease to reach yet: rent a GPU first.");
  const access = await tenantSdk.workloadAccess(watchedLease);
  const logs = await tenantSdk.workloadLogs(watchedLease);
  const set = (field: string, value: string | Node[]) => {
    $(`#workload [data-field="${field}"]`).replaceChildren(...(typeof value === "string" ? [value] : value));
  };
  set("workload-status", `${access.status} (${access.backend}, ${access.restarts} restarts)`);
  set("workload-endpoints", Object.entries(access.endpoints).map(([name, url]) => {
    const link = document.createElement("a");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = `${name}: ${url}`;
    link.dataset.port = name;
    return link;
  }));
  set("workload-credential", access.credential);
  const first = Object.values(access.endpoints)[0] ?? "";
  set("workload-curl", `curl -H "Authorization: Bearer ${access.credential}" ${first}`);
  $("#workload-access").hidden = false;
  $("#workload h3").hidden = false;
  const pre = $("#workload-logs");
  pre.textContent = logs.split("\n").slice(-50).join("\n") || "(no output yet)";
  pre.hidden = false;
  showInfo(`Lease ${watchedLease}: the workload's access, from its provider.`);
}

function hideWorkload() {
  for (const selector of ["#workload-access", "#workload h3", "#workload-logs"]) $(selector).hidden = true;
}

const HISTORY_LABELS: Record<string, string> = {
  LEASE_COMPLETED: "Lease completed", JOB_FINALIZED: "Job finalized", LIVENESS_ANSWERED: "Liveness answered",
  LIVENESS_MISSED: "Liveness missed (slashed)", LATE_RESULT: "Job result late (slashed)",
  DISPUTE_LOST: "Dispute lost (slashed)",
};

async function renderProvider() {
  if (!account || !sdk) return;
  const p = await sdk.provider(account);
  const facts: [string, string][] = p.registered
    ? [["Region", p.region], ["Free stake", usd(p.freeStake)], ["Locked as collateral", usd(p.lockedStake)],
      ["Unbonding", usd(p.unbondingStake)], ["Reputation", `${p.reputation} / 10000`],
      ["Uptime", `${(p.uptime / 100).toFixed(2)} %`], ["Leases completed", String(p.leasesCompleted)],
      ["Liveness answered / missed", `${p.livenessAnswered} / ${p.livenessMissed}`],
      ["Disputes lost", String(p.disputesLost)], ["Slashes", String(p.slashCount)]]
    : [["Provider", "not registered"]];
  $("#provider-info").replaceChildren(...facts.flatMap(([k, v]) => {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v;
    dd.dataset.field = k;
    return [dt, dd];
  }));
  const offers = await sdk.offersOf(account);
  $("#my-offers tbody").replaceChildren(...offers.map((o) => row([
    String(o.offerId), o.gpuModel, usd(o.pricePerUnitHour), `${o.units - o.unitsFree} / ${o.units}`,
  ])));
  const earnings = await sdk.earnings(account);
  $("#earnings tbody").replaceChildren(...earnings.leases.filter((l) => l.withdrawable > 0n).map((l) => {
    const button = document.createElement("button");
    button.textContent = "Withdraw";
    button.className = "withdraw";
    button.dataset.lease = String(l.leaseId);
    button.onclick = () => act(button, async () => {
      await requireWallet().withdrawEarnings(l.leaseId);
      showInfo(`Withdrew the earnings of lease ${l.leaseId}.`);
    });
    return row([String(l.leaseId), usd(l.withdrawable), button]);
  }));
  const history = await sdk.reputationHistory(account);
  $("#history tbody").replaceChildren(...history.reverse().map((e) => {
    const tr = row([when(e.time), HISTORY_LABELS[e.kind] ?? e.kind, e.slashed ? `−${usd(e.slashed)} stake` : "",
      `${e.transactionHash.slice(0, 10)}…`]);
    tr.dataset.kind = e.kind;
    return tr;
  }));
  const challenges = await sdk.challengesToAnswer(account);
  $("#challenges").replaceChildren(...challenges.map((c) => {
    const li = document.createElement("li");
    li.textContent = `Lease ${c.leaseId}: answer by ${when(c.answerBy)}`;
    return li;
  }));
}

async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    if (view === "market") await renderMarket();
    if (view === "tenant") await renderTenant();
    if (view === "provider") await renderProvider();
    document.body.dataset.refreshed = String(Date.now());
  } catch (error) {
    showError(error);
  } finally {
    refreshing = false;
  }
}

/* ------------------------------------------------------------------ actions */

async function signAndPost() {
  const tenantSdk = requireWallet();
  const spec = await tenantSdk.rentalSpec({
    gpuModel: $<HTMLInputElement>("#gpu").value.trim(),
    units: Number($<HTMLInputElement>("#units").value),
    maxPricePerUnitHour: toUnits($<HTMLInputElement>("#max-price").value),
    durationSeconds: Math.round(Number($<HTMLInputElement>("#hours").value) * 3600),
    rematch: $<HTMLInputElement>("#rematch").checked,
  });
  const deposit = await tenantSdk.depositFor(spec);
  $("#deposit").textContent = usd(deposit);
  const order = await tenantSdk.signRequest(spec, deposit);
  lastOrder = order;
  $<HTMLButtonElement>("#repost").disabled = false;
  await tenantSdk.postSignedRequest(config.orderBookUrl, order);
  $("#order-state").textContent = "Signed and posted: waiting for a matcher…";
}

async function main() {
  try {
    config = (await (await fetch("/leasehold.json")).json()) as ConsoleConfig;
    book = addressBook(config.deployment);
  } catch (error) {
    showError(new LeaseholdError("BadConfig", `The console has no valid /leasehold.json: ${(error as Error).message}`));
    return;
  }
  chain = defineChain({ id: book.chainId, name: `chain ${book.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [config.rpcUrl] } } });
  const publicClient = createPublicClient({ chain, transport: http(config.rpcUrl) });
  reader = new Leasehold({ publicClient: publicClient as never, book });
  $("#network").textContent = `chain ${book.chainId}`;
  if (!window.ethereum && config.devAccounts?.length) {
    const select = $<HTMLSelectElement>("#dev-account");
    select.hidden = false;
    select.replaceChildren(...config.devAccounts.map((a) => {
      const option = document.createElement("option");
      option.value = a.address;
      option.textContent = `${a.name} ${a.address.slice(0, 6)}…`;
      return option;
    }));
  }
  $("#connect").onclick = () => act($("#connect"), connect);
  for (const button of document.querySelectorAll<HTMLButtonElement>("nav button")) {
    button.onclick = () => {
      view = button.dataset.view!;
      for (const b of document.querySelectorAll("nav button")) b.classList.toggle("active", b === button);
      for (const name of ["market", "tenant", "provider"]) $(`#view-${name}`).hidden = name !== view;
      clearMessage();
      void refresh();
    };
  }
  $<HTMLFormElement>("#rent").onsubmit = (event) => {
    event.preventDefault();
    void act($("#sign"), signAndPost);
  };
  $("#repost").onclick = () => act($("#repost"), async () => {
    if (!lastOrder) throw new LeaseholdError("BadInput", "No signed request to post again.");
    await requireWallet().postSignedRequest(config.orderBookUrl, lastOrder);
  });
  $("#topup-btn").onclick = () => act($("#topup-btn"), async () => {
    await requireWallet().topUp(watchedLease!, toUnits($<HTMLInputElement>("#topup").value));
    showInfo("Topped up.");
  });
  $("#close-btn").onclick = () => act($("#close-btn"), async () => {
    await requireWallet().closeLease(watchedLease!);
    showInfo("Lease closed: the unused balance is back in your wallet.");
  });
  $("#access-btn").onclick = () => act($<HTMLButtonElement>("#access-btn"), reachWorkload);
  $("#stake-btn").onclick = () => act($("#stake-btn"), async () => {
    await requireWallet().stake(toUnits($<HTMLInputElement>("#stake-amount").value));
    showInfo("Staked.");
  });
  await refresh();
  setInterval(() => void refresh(), 1000);
  document.body.dataset.ready = "true";
}

void main();
