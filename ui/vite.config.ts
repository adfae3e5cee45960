import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  // WebKitGTK 2.40+ (Debian 12) runs Safari-15-level JavaScript.
  build: { target: 'safari15', outDir: 'dist', emptyOutDir: true },
});
