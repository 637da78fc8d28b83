// What every bundle here shares: an ES module for Node, with `require` for the CommonJS code inside.

/** esbuild settings of a bundle Node runs as an ES module. */
export const NODE_ESM = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // CommonJS dependencies call `require` for Node's own modules; an ES module has none of its own.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
}
