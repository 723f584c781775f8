import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The page is static: `vite build` writes dist/, which any static server (or `vite preview`) serves. */
export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
});
