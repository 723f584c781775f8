import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

/**
 * The page is static: `vite build` writes dist/, which any static server (or `vite preview`) serves.
 * @threadline/client and @threadline/react come from their source in this workspace (its `@threadline/source` export, as
 * tsconfig's customConditions does for the types), so the page never waits for their builds.
 */
export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ['@threadline/source', ...defaultClientConditions] },
  // Two pages: the React Query page (index.html) and the useChat page on /api/chat (ai-sdk.html).
  build: { rollupOptions: { input: { main: 'index.html', 'ai-sdk': 'ai-sdk.html' } } },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
});
