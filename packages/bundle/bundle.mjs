#!/usr/bin/env node
// Bundles the compiled server of the package it runs in (dist/src/server.js) into dist/bundle/server.mjs,
// the file its process runs: loading one file instead of hundreds of modules takes a third of the CPU
// (docs/architecture.md, "One file per process"). The bundle sits as deep as dist/src/, so a path the code
// builds from `import.meta.url` leads where it did.
import { readFileSync } from 'node:fs'
import { build } from 'esbuild'
import { NODE_ESM } from './node-esm.mjs'

/** Packages that read files from their own folder at run time: loaded from node_modules, as they are. */
const EXTERNAL = [
  // Serves swagger-ui's assets from `__dirname`.
  '@fastify/swagger-ui',
  // msgpackr's optional native addon, never built here (pnpm skips its install script); msgpackr falls
  // back to its JavaScript code when requiring it fails.
  'msgpackr-extract',
]

const result = await build({
  entryPoints: ['dist/src/server.js'],
  outfile: 'dist/bundle/server.mjs',
  ...NODE_ESM,
  external: EXTERNAL,
  metafile: true,
})

// A bundled module that finds files through `__dirname` or `__filename` would throw (an ES module has
// neither): it belongs in EXTERNAL, unless it is known to need neither in the way this project uses it.
const HARMLESS = {
  // Reads its own package.json for `CLIENT SETINFO lib-ver` in a try/catch (reports "error-fetching-version");
  // trims stacks with it only under `showFriendlyErrorStack`, which no client here sets.
  ioredis: true,
  // Checks `typeof __filename` first.
  undici: true,
  // Takes `require` (the banner's) before `__filename` to load its optional native addon.
  msgpackr: true,
  // Only for sandboxed processors given as a file; every worker here runs a function.
  bullmq: true,
  // Only for pino transports; pretty printing here is an in-thread stream (packages/kit/src/logger.ts).
  pino: true,
  'thread-stream': true,
  // Reads its package.json in a try/catch for a dynamic document's defaults; the gateway's is static.
  '@fastify/swagger': true,
}
const FILE_RELATIVE = /\b__(dirname|filename)\b/
const packageOf = (input) => input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/)?.[1]
const offenders = Object.keys(result.metafile.inputs).filter(
  (input) => !HARMLESS[packageOf(input)] && FILE_RELATIVE.test(readFileSync(input, 'utf8')),
)
if (offenders.length > 0) {
  console.error(`stagepass-bundle: these modules use __dirname or __filename:\n  ${offenders.join('\n  ')}`)
  process.exitCode = 1
}
