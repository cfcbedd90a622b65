// @ts-check
import { defineConfig } from 'astro/config';
import mdx from '@astrojs/mdx';
import preact from '@astrojs/preact';
import hotpot from './site/integration/index.ts';
import { plainTokens } from './site/integration/plain-tokens.ts';

// Cross-origin isolation on every path (pages, workers, assets): WebContainer needs
// SharedArrayBuffer, which only a cross-origin isolated page gets.
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  srcDir: './site',
  publicDir: './site/public',
  outDir: './dist',
  trailingSlash: 'ignore',
  integrations: [mdx(), preact(), hotpot()],
  build: { inlineStylesheets: 'never' },
  markdown: { shikiConfig: { transformers: [plainTokens] } },
  server: { headers: isolationHeaders },
  vite: {
    preview: { headers: isolationHeaders },
    worker: { format: 'es' },
  },
});
