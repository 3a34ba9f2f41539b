// The Tenant view reaches the rented workload in a real browser (Debian's Chromium, playwright-core):
// scripts/devnet.py --delivery --deploy runs a real provider agent with delivery (the process backend),
// whose access server is its metadata URI, and a lease of the tenant's with scripts/delivery_service.py
// deployed. The page signs with the wallet, shows the endpoint, credential and logs, and the workload
// answers with that credential; another account gets the provider's refusal as one message.
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

let devnet, server, context, profile, url;

async function rpc(method, params = []) {
  const response = await fetch(devnet.info.rpcUrl, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = await response.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

async function connectAs(page, name) {
  await page.selectOption("#dev-account", devnet.info.accounts[name].address);
  await page.click("#connect");
  await page.waitForSelector("#account:not(:empty)");
}

async function expectMessage(page, pattern) {
  await page.waitForFunction((source) => new RegExp(source).test(document.querySelector("#message").textContent),
    pattern.source).catch(async (error) => {
    throw new Error(`${error.message}; the page says: ${await page.textContent("#message")}`);
  });
  await page.waitForFunction((source) => new RegExp(source).test(document.querySelector("#message").textContent),
    pattern.source);
  const text = await page.textContent("#message");
  assert.ok(!text.includes("\n"), `one line: ${text}`);
  return text;
}

before(async () => {
  devnet = await startDevnet(["--delivery", "--deploy"]);
  server = await serveConsole(consoleConfig(devnet));
  url = `http://127.0.0.1:${server.address().port}/`;
  profile = mkdtempSync(join(tmpdir(), "leasehold-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 1000 },
  });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  server?.close();
  await devnet?.stop();
});

test("a tenant sees its workload's endpoint, credential and logs, and reaches it; no one else does", async () => {
  const { leaseId, accessUrl } = devnet.info.delivery;
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]");
  await connectAs(page, "tenant");
  await page.click("nav button[data-view=tenant]");
  await page.waitForFunction((id) => document.querySelector('#lease [data-field="id"]').textContent === String(id),
    leaseId);
  assert.equal(await page.textContent('#lease [data-field="endpoint"]'), accessUrl);
  assert.ok(await page.locator("#workload-access").isHidden(), "nothing shown before the tenant signs");

  await page.click("#access-btn");
  await expectMessage(page, new RegExp(`^Lease ${leaseId}: the workload's access, from its provider\\.$`));
  const link = page.locator('#workload [data-field="workload-endpoints"] a[data-port=http]');
  const endpoint = await link.getAttribute("href");
  assert.match(endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  const credential = await page.textContent('#workload [data-field="workload-credential"]');
  assert.match(credential, /^[A-Za-z0-9_-]{40,}$/);
  assert.match(await page.textContent('#workload [data-field="workload-status"]'), /^serving \(process/);
  assert.match(await page.textContent("#workload-logs"), new RegExp(`serving lease ${leaseId} on port \\d+`));
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "console-workload.png"), fullPage: true });

  // The workload answers only with the credential the page showed.
  assert.equal((await page.request.get(endpoint)).status(), 401);
  const reached = await page.request.get(endpoint, { headers: { Authorization: `Bearer ${credential}` } });
  assert.equal(reached.status(), 200);
  assert.equal((await reached.json()).lease_id, String(leaseId));

  // Another account watching the same lease signs too, and gets the provider's refusal; nothing is shown.
  await connectAs(page, "provider");
  await page.click("#access-btn");
  const refusal = await expectMessage(page, /^The provider refused: /);
  assert.match(refusal, new RegExp(`^The provider refused: signer ${devnet.info.accounts.provider.address} is not the ` +
    `tenant of lease ${leaseId}$`));
  assert.ok(await page.locator("#workload-access").isHidden());
  assert.ok(await page.locator("#workload-logs").isHidden());
  await page.close();
});

test("the provider's reputation history shows the lease it completed, dated", async () => {
  const { leaseId } = devnet.info.delivery;
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]");
  await connectAs(page, "deliverer");
  await page.click("nav button[data-view=provider]");
  await page.waitForSelector('#provider-info dd[data-field="Reputation"]');
  assert.equal(await page.locator("#history tbody tr").count(), 0, "no history yet");

  // The lease runs two hours (chain time: 60 USD, past the 50 USD a lease must pay to count for
  // reputation), then the tenant closes it.
  await rpc("evm_increaseTime", [7200]);
  await rpc("evm_mine");
  await connectAs(page, "tenant");
  await page.click("nav button[data-view=tenant]");
  await page.waitForFunction((id) => document.querySelector('#lease [data-field="status"]').textContent === "ACTIVE"
    && document.querySelector('#lease [data-field="id"]').textContent === String(id), leaseId);
  await page.click("#close-btn");
  await expectMessage(page, /^Lease closed/);

  await connectAs(page, "deliverer");
  await page.click("nav button[data-view=provider]");
  const row = page.locator("#history tbody tr[data-kind=LEASE_COMPLETED]");
  await row.waitFor();
  const cells = await row.locator("td").allTextContents();
  assert.equal(cells[1], "Lease completed");
  const block = await rpc("eth_getBlockByNumber", ["latest", false]);
  const closedAt = new Date(Number.parseInt(block.timestamp, 16) * 1000).toISOString();
  assert.equal(cells[0], closedAt.replace("T", " ").replace(".000Z", " UTC"));
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "console-history.png"), fullPage: true });
  await page.close();
});
