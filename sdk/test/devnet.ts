// Starts scripts/devnet.py (Anvil + the deployed protocol + an order book; with `delivery`, a provider
// agent with delivery and a lease committed to a manifest) for one test file and stops it by PID afterwards.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface DevAccount {
  address: `0x${string}`;
  key: `0x${string}`;
}

export interface Devnet {
  rpcUrl: string;
  chainId: number;
  deployment: string;
  offers: number[];
  orderBookUrl: string;
  /** `deliverer` (the delivering provider) only with `delivery`. */
  accounts: Record<"governance" | "matcher" | "provider" | "tenant" | "provider2" | "deliverer", DevAccount>;
  /** With `delivery`: the delivering provider's access server and the tenant's lease with it. */
  delivery?: { accessUrl: string; leaseId: number; manifest: Record<string, unknown> };
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startDevnet(options: { delivery?: boolean; deploy?: boolean } = {}): Promise<Devnet> {
  const python = join(REPO_ROOT, ".venv", "bin", "python");
  const flags = [...(options.delivery ? ["--delivery"] : []), ...(options.deploy ? ["--deploy"] : [])];
  const child = spawn(python, ["-m", "scripts.devnet", "--orderbook-port", "0", ...flags], {
    cwd: REPO_ROOT, stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`scripts/devnet.py exited with ${code} before it was ready`);
  });
  const ready = (async () => {
    for await (const line of lines) if (line.startsWith("{")) return JSON.parse(line);
    throw new Error("scripts/devnet.py closed its output before it was ready");
  })();
  const info = await Promise.race([ready, exited]);
  return {
    ...info,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      const done = once(child, "exit");
      child.kill("SIGTERM");
      await done;
    },
  };
}
