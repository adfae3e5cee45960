/// <reference types="vitest/config" />
import { defaultClientConditions, defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  // WebKitGTK 2.40+ (Debian 12) runs Safari-15-level JavaScript.
  build: { target: 'safari15', outDir: 'dist', emptyOutDir: true },
  // Vite's own default, spelt out: without it vitest resolves packages for Node, which gives
  // Svelte's server runtime (no effects) to the tests.
  resolve: { conditions: [...defaultClientConditions] },
  // Node, with the modules compiled as for the window, so that stores' effects run in tests.
  test: { environment: './src/test/svelte-client-environment.ts' },
});
