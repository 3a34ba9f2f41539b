// The console in a real browser: Debian's Chromium driven by playwright-core (no browser
// download), against Anvil with the protocol deployed and a matcher's order book
// (scripts/devnet.py). A tenant rents a GPU by signature only, watches it stream, tops up and
// closes; a provider withdraws its earnings; each bad input shows one clear message and sends
// nothing. CONSOLE_SCREENSHOTS=<dir> saves a screenshot of each view there (docs/ in the README).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

import { consoleConfig, serveConsole, startDevnet } from "../scripts/serve.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const SHOTS = process.env.CONSOLE_SCREENSHOTS;

let devnet, server, walletless, context, profile, url, walletlessUrl;

async function rpc(method, params = []) {
  const response = await fetch(devnet.info.rpcUrl, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = await response.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

const txCount = async (address) => Number.parseInt(await rpc("eth_getTransactionCount", [address, "latest"]), 16);
const booked = async () => (await (await fetch(`${devnet.info.orderBookUrl}/signed-requests`)).json()).orders.length;
const tokenBalance = async (address) => {
  const token = devnet.deployment.contracts.PaymentToken.address;
  const data = `0x70a08231${address.slice(2).toLowerCase().padStart(64, "0")}`;
  return BigInt(await rpc("eth_call", [{ to: token, data }, "latest"]));
};
async function advance(seconds) {
  await rpc("evm_increaseTime", [seconds]);
  await rpc("evm_mine");
}

async function openConsole(pageUrl = url, init) {
  const page = await context.newPage();
  if (init) await page.addInitScript(init.script, init.arg);
  await page.goto(pageUrl);
  await page.waitForSelector("body[data-ready=true]");
  return page;
}

async function connectAs(page, name) {
  await page.selectOption("#dev-account", devnet.info.accounts[name].address);
  await page.click("#connect");
  await page.waitForSelector("#account:not(:empty)");
}

async function tab(page, name) {
  await page.click(`nav button[data-view=${name}]`);
}

async function expectMessage(page, pattern) {
  const box = page.locator("#message");
  await box.waitFor({ state: "visible" });
  await page.waitForFunction((source) => new RegExp(source).test(document.querySelector("#message").textContent),
    pattern.source);
  const text = await box.textContent();
  assert.match(text, pattern);
  assert.ok(!text.includes("\n"), `one line: ${text}`);
  return text;
}

async function fillRental(page, { gpu = "nvidia-h100-80gb", units = "1", price = "3", hours = "2" } = {}) {
  await page.fill("#gpu", gpu);
  await page.fill("#units", units);
  await page.fill("#max-price", price);
  await page.fill("#hours", hours);
}

async function screenshot(page, name) {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `console-${name}.png`), fullPage: true });
}

before(async () => {
  devnet = await startDevnet();
  server = await serveConsole(consoleConfig(devnet));
  walletless = await serveConsole(consoleConfig(devnet, { devAccounts: false }));
  url = `http://127.0.0.1:${server.address().port}/`;
  walletlessUrl = `http://127.0.0.1:${walletless.address().port}/`;
  profile = mkdtempSync(join(tmpdir(), "leasehold-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 860 },
  });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  server?.close();
  walletless?.close();
  await devnet?.stop();
});

test("a tenant rents a GPU by signature only; a provider withdraws its earnings", async () => {
  const tenant = devnet.info.accounts.tenant.address;
  const provider = devnet.info.accounts.provider.address;
  const page = await openConsole();
  await page.waitForSelector("#offers tbody tr");
  assert.equal(await page.locator("#offers tbody tr").count(), 3);

  await connectAs(page, "tenant");
  await tab(page, "tenant");
  const sent = await txCount(tenant);
  await fillRental(page);
  await page.click("#sign");
  await page.waitForSelector("#lease:not([hidden])");
  await page.waitForFunction(() => document.querySelector('#lease [data-field="status"]').textContent === "ACTIVE");
  assert.equal(await txCount(tenant), sent, "the tenant sent no transaction");
  assert.match(await page.textContent('#lease [data-field="gpu"]'), /1 × nvidia-h100-80gb in eu-west/);
  assert.match(await page.textContent('#lease [data-field="endpoint"]'), /^https:\/\/eu-west/);

  // Half an hour at 2.50 USD an hour (plus the few seconds the test itself took).
  await advance(1800);
  await page.waitForFunction(() => {
    const streamed = Number(document.querySelector('#lease [data-field="accrued"]').textContent.slice(1));
    return streamed >= 1.25 && streamed < 1.3;
  });
  await screenshot(page, "tenant");

  await tab(page, "market");
  await page.waitForSelector("#leases tbody tr");
  await screenshot(page, "market");

  await tab(page, "provider");
  await connectAs(page, "provider");
  const withdraw = page.locator("button.withdraw").first();
  await withdraw.waitFor();
  await screenshot(page, "provider");
  const held = await tokenBalance(provider);
  await withdraw.click();
  await expectMessage(page, /^Withdrew the earnings of lease \d+\.$/);
  assert.ok((await tokenBalance(provider)) > held, "the provider was paid");

  await tab(page, "tenant");
  await connectAs(page, "tenant");
  await page.waitForFunction(() => document.querySelector('#lease [data-field="status"]').textContent === "ACTIVE");
  const balanceBefore = await page.textContent('#lease [data-field="balance"]');
  await page.fill("#topup", "5");
  await page.click("#topup-btn");
  await expectMessage(page, /^Topped up\.$/);
  await page.waitForFunction((b) => document.querySelector('#lease [data-field="balance"]').textContent !== b,
    balanceBefore);
  const tokensBefore = await tokenBalance(tenant);
  await page.click("#close-btn");
  await expectMessage(page, /^Lease closed/);
  await page.waitForFunction(() => document.querySelector('#lease [data-field="status"]').textContent === "CLOSED");
  assert.ok((await tokenBalance(tenant)) > tokensBefore, "the tenant got its refund");
  await page.close();
});

test("bad input: one clear message in the page, and nothing is sent", async () => {
  const tenant = devnet.info.accounts.tenant.address;
  const page = await openConsole();
  await connectAs(page, "tenant");
  await tab(page, "tenant");
  const sent = await txCount(tenant);
  const inBook = await booked();

  await fillRental(page, { gpu: "nvidia-b200-192gb" });
  await page.click("#sign");
  await expectMessage(page, /^The GPU model "nvidia-b200-192gb" is not in the catalogue\.$/);

  await fillRental(page, { units: "1000", hours: "700" });
  await page.click("#sign");
  await expectMessage(page, /^Insufficient balance: .* held, .* needed\. Nothing was sent\.$/);
  assert.equal(await booked(), inBook);

  // A request no offer can take (price too low) waits in the book: posting it again is a replay,
  // and once its signature has expired the book says so.
  await fillRental(page, { price: "0.01" });
  await page.click("#sign");
  await page.waitForFunction(() => /waiting for a matcher/.test(document.querySelector("#order-state").textContent));
  assert.equal(await booked(), inBook + 1);
  await page.click("#repost");
  await expectMessage(page, /^order book: nonce \d+ of 0x[0-9a-fA-F]{40} is already in the book$/);
  await advance(3600);
  await page.click("#repost");
  await expectMessage(page, /^order book: the signature expired at \d+/);
  assert.equal(await txCount(tenant), sent, "the tenant sent nothing");
  await page.close();

  const noWallet = await openConsole(walletlessUrl);
  await noWallet.click("#connect");
  await expectMessage(noWallet, /^No wallet found: install a browser wallet \(EIP-1193\)/);
  await noWallet.close();

  const wrongNetwork = await openConsole(walletlessUrl, { script: () => {
    window.ethereum = { request: async ({ method }) => (method === "eth_chainId" ? "0x1" : ["0x" + "11".repeat(20)]) };
  } });
  await wrongNetwork.click("#connect");
  await expectMessage(wrongNetwork, /^Wrong network: your wallet is on chain 1; switch it to chain 31337/);
  await wrongNetwork.close();

  // An injected wallet that forwards to the node but refuses to sign typed data.
  const refusing = await openConsole(walletlessUrl, { script: ({ rpcUrl, account }) => {
    window.ethereum = {
      async request({ method, params }) {
        if (method === "eth_requestAccounts" || method === "eth_accounts") return [account];
        if (method === "eth_signTypedData_v4") {
          throw Object.assign(new Error("User rejected the request."), { code: 4001 });
        }
        const response = await fetch(rpcUrl, { method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
        const body = await response.json();
        if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code });
        return body.result;
      },
    };
  }, arg: { rpcUrl: devnet.info.rpcUrl, account: tenant } });
  await refusing.click("#connect");
  await refusing.waitForSelector("#account:not(:empty)");
  await tab(refusing, "tenant");
  await fillRental(refusing);
  const bookedBefore = await booked();
  await refusing.click("#sign");
  await expectMessage(refusing, /^The request was rejected in the wallet: nothing was sent\.$/);
  assert.equal(await booked(), bookedBefore);
  assert.equal(await txCount(tenant), sent);
  await refusing.close();
});
