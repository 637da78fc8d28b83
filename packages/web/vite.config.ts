import { defineConfig } from 'vite'

// `npm run dev` serves the app on http://localhost:5173 (the gateway's default CORS_ORIGINS outside
// production) and calls the gateway at VITE_GATEWAY_URL (http://localhost:8080 by default). The build
// is served by the gateway itself, at `/`, calling its own origin.
export default defineConfig({
  server: { port: 5173, strictPort: true },
  build: { outDir: 'dist/app', emptyOutDir: true, target: 'es2022' },
})
