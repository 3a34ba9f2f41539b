// Serves the built console (dist/) and its /leasehold.json. As a program, it starts a local
// market first (scripts/devnet.py: Anvil, the protocol, an order book with a matcher), prints the
// URL and runs until Ctrl-C, stopping what it started by PID.
//
//   node scripts/serve.mjs [--port 5173]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { dirname, extname, join, normalize } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = join(HERE, "..", "dist");
export const REPO_ROOT = join(HERE, "..", "..");
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png",
  ".json": "application/json", ".svg": "image/svg+xml" };

/** Serves dist/ with `config` as /leasehold.json on 127.0.0.1:`port`; resolves to the server. */
export async function serveConsole(config, port = 0) {
  const server = createServer(async (request, response) => {
    const path = new URL(request.url, "http://x").pathname;
    if (path === "/leasehold.json") {
      response.writeHead(200, { "Content-Type": "application/json" });
      return response.end(JSON.stringify(config));
    }
    const file = normalize(join(DIST, path === "/" ? "index.html" : path));
    if (!file.startsWith(DIST)) return response.writeHead(403).end();
    try {
      const body = await readFile(file);
      response.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end("not found");
    }
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return server;
}

/** Starts scripts/devnet.py with an order book (`flags`: e.g. ["--delivery", "--deploy"] for a provider agent
 * with delivery and a deployed lease); resolves to its info and the child process. */
export async function startDevnet(flags = []) {
  const child = spawn(join(REPO_ROOT, ".venv", "bin", "python"),
    ["-m", "scripts.devnet", "--orderbook-port", "0", ...flags], { cwd: REPO_ROOT, stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    if (line.startsWith("{")) {
      const info = JSON.parse(line);
      const deployment = JSON.parse(await readFile(info.deployment, "utf8"));
      const stop = async () => {
        if (child.exitCode !== null) return;
        const done = once(child, "exit");
        child.kill("SIGTERM");
        await done;
      };
      return { info, deployment, child, stop };
    }
  }
  throw new Error("scripts/devnet.py exited before it was ready");
}

/** The console's configuration for a devnet; `devAccounts: false` leaves the page walletless. */
export function consoleConfig(devnet, { devAccounts = true } = {}) {
  const accounts = Object.entries(devnet.info.accounts).map(([name, a]) => ({ name, address: a.address }));
  return { rpcUrl: devnet.info.rpcUrl, orderBookUrl: devnet.info.orderBookUrl, deployment: devnet.deployment,
    ...(devAccounts ? { devAccounts: accounts } : {}) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const portFlag = process.argv.indexOf("--port");
  const port = portFlag > 0 ? Number(process.argv[portFlag + 1]) : 5173;
  const devnet = await startDevnet();
  const server = await serveConsole(consoleConfig(devnet), port);
  const consoleUrl = `http://127.0.0.1:${server.address().port}/`;
  console.log(`Leasehold console: ${consoleUrl} (chain ${devnet.info.rpcUrl}); Ctrl-C stops`);
  const stop = async () => {
    server.close();
    await devnet.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
