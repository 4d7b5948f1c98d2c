/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// Built into dist/ for the Tauri shell (src-tauri/tauri.conf.json's frontendDist). Everything is bundled:
// no CDN, no remote fonts, so the app works offline under a strict CSP.
export default defineConfig({
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    target: "es2021",
    outDir: "dist",
    emptyOutDir: true,
    // One CSS file and no inline modulepreload polyfill, to satisfy `script-src 'self'`.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  test: {
    environment: "jsdom",
    include: ["tests/**/*.test.{ts,tsx}"],
    setupFiles: ["tests/setup.ts"],
  },
});
