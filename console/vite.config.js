import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The console imports the SDK from ../sdk/src; viem resolves from the SDK's own node_modules, so
// the errors its clients throw are the classes the SDK decodes.
export default defineConfig({
  server: { fs: { allow: [fileURLToPath(new URL("..", import.meta.url))] } },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2000 },
});
