// Bundles compiled test files, for the test command to run: loading one file and its shared chunks
// instead of the hundreds of modules a test file imports saves about a CPU-second per file
// (docs/testing.md). Every bundled module keeps its own location: `import.meta.url`, `__dirname` and
// `__filename` are what they were in the file it came from, and the packages left outside are imported
// by their absolute paths, so a bundle runs wherever it is written and finds every file its code finds.
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { NODE_ESM } from './node-esm.mjs'

/** Loaded from node_modules as they are. */
const EXTERNAL = [
  // The test harness: its plugins are found at run time, and the runner reads its output.
  'tap',
  // A browser driver that ships its own files and starts processes from them.
  'playwright-core',
  // A native binary, driven by the build code some tests run.
  'esbuild',
  // Optional native addon, never built here (as in the servers' bundles).
  'msgpackr-extract',
]
const EXTERNAL_PATTERN = new RegExp(`^(${EXTERNAL.join('|')})(/|$)`)
const LOCATION = /\bimport\.meta\.url\b|\b__(?:dirname|filename)\b/

/**
 * Keeps each module's location and imports the external packages by path. Where a module reads
 * `import.meta.url`, `__dirname` or `__filename` (unless it declares its own: the replacement is
 * esbuild's `define`, which leaves bound names alone), it reads a variable the plugin declares at its
 * top with the value of the file it came from.
 */
const inPlace = {
  name: 'in-place',
  setup(build) {
    build.onResolve({ filter: EXTERNAL_PATTERN }, async (args) => {
      if (args.pluginData === 'in-place') return undefined
      const found = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: 'in-place',
      })
      if (found.errors.length > 0) return { errors: found.errors }
      return { path: found.path, external: true }
    })
    build.onLoad({ filter: /\.(?:m?js|cjs)$/ }, async (args) => {
      const contents = await readFile(args.path, 'utf8')
      if (!LOCATION.test(contents)) return { contents, loader: 'js' }
      const values = [
        `__moduleUrl = ${JSON.stringify(pathToFileURL(args.path).href)}`,
        `__moduleFilename = ${JSON.stringify(args.path)}`,
        `__moduleDirname = ${JSON.stringify(dirname(args.path))}`,
      ]
      // On the line of the code's first statement (after a `#!` line): every line keeps its number.
      const at = contents.startsWith('#!') ? contents.indexOf('\n') + 1 : 0
      return { contents: `${contents.slice(0, at)}var ${values.join(', ')};${contents.slice(at)}`, loader: 'js' }
    })
  },
}

/**
 * Bundles `files` (paths under `root`, relative to it or absolute) into `outdir`, sharing the code they
 * have in common as chunks; gives each file's bundle, by file.
 */
export async function bundleTests({ root, files, outdir }) {
  const { metafile } = await build({
    absWorkingDir: root,
    entryPoints: files,
    outbase: root,
    outdir,
    outExtension: { '.js': '.mjs' },
    ...NODE_ESM,
    splitting: true,
    plugins: [inPlace],
    define: { 'import.meta.url': '__moduleUrl', __dirname: '__moduleDirname', __filename: '__moduleFilename' },
    metafile: true,
  })
  // Each entry's output as esbuild named it (paths relative to `root`).
  const bundleOf = new Map()
  for (const [output, { entryPoint }] of Object.entries(metafile.outputs)) {
    if (entryPoint) bundleOf.set(resolve(root, entryPoint), resolve(root, output))
  }
  return new Map(files.map((file) => [file, bundleOf.get(resolve(root, file))]))
}
