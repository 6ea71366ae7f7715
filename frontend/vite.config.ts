/// <reference types="vitest/config" />
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const outDir = resolve(__dirname, '../backend/web/dist');

// keepGitkeep recreates backend/web/dist/.gitkeep after Vite empties the folder, so the
// Go embed directive always has a directory to embed.
function keepGitkeep(): Plugin {
  return {
    name: 'logsieve-keep-gitkeep',
    apply: 'build',
    closeBundle() {
      writeFileSync(resolve(outDir, '.gitkeep'), '');
    },
  };
}

const backend = 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react(), keepGitkeep()],
  build: {
    outDir,
    emptyOutDir: true,
    chunkSizeWarningLimit: 700,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (!id.includes('node_modules')) return undefined;
          if (id.includes('uplot')) return 'uplot';
          if (id.includes('@mui/icons-material')) return 'mui-icons';
          if (id.includes('@mui') || id.includes('@emotion')) return 'mui';
          if (id.includes('react-router') || id.includes('@tanstack') || /node_modules\/(react|react-dom|scheduler)\//.test(id)) return 'react';
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: {
      // the server checks the Origin of a websocket and of every state-changing request:
      // present the proxied one as the server's own
      '/api': {
        target: backend,
        ws: true,
        changeOrigin: true,
        rewriteWsOrigin: true,
        configure: (proxy) =>
          proxy.on('proxyReq', (req) => {
            if (req.getHeader('origin')) req.setHeader('origin', backend);
          }),
      },
      '/healthz': backend,
      '/metrics': backend,
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
  },
});
