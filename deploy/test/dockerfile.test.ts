import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { promisify } from 'node:util'
import { WEB_APP_DIR } from '@stagepass/gateway'
import { fromRoot } from '@stagepass/launcher'
import t from 'tap'
import { APPS } from './support/apps.js'
import { readCompose } from './support/compose.js'

const run = promisify(execFile)
const dockerfile = readFileSync(fromRoot('deploy', 'Dockerfile'), 'utf8')
// Continuation lines joined, as Docker reads them.
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((line) => line.trim() && !line.trim().startsWith('#'))
const rootPackage = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8'))
const turboConfig = JSON.parse(readFileSync(fromRoot('turbo.json'), 'utf8'))

interface AppTarget {
  pkg: string
  entry: string
  /** The web app's package built beside the app, and where its build lands (the gateway's image). */
  web?: string
  webapp?: string
}

/** The APP → package and entry mapping from the Dockerfile's `case`. */
function appMapping(): Map<string, AppTarget> {
  const mapping = new Map<string, AppTarget>()
  for (const match of dockerfile.matchAll(/^\s*([a-z|]+)\) pkg=(\S+) entry=(\S+)((?: \w+=\S+)*) ;;/gm)) {
    for (const app of (match[1] as string).split('|')) {
      const expand = (s: string) => s.replaceAll('$APP', app)
      const extra = Object.fromEntries([...(match[4] as string).matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]))
      mapping.set(app, { ...extra, pkg: expand(match[2] as string), entry: expand(match[3] as string) })
    }
  }
  return mapping
}

const workspacePackages = new Map<string, string>()
for (const dir of [
  'gateway',
  'deploy',
  'loadtests',
  'packages/kit',
  'packages/db',
  'packages/launcher',
  'packages/events',
  'packages/testkit',
  'packages/client',
  'packages/web',
  'services/point',
  'services/queue',
  'services/concert',
  'services/booking',
]) {
  const manifest = fromRoot(dir, 'package.json')
  if (existsSync(manifest)) workspacePackages.set(JSON.parse(readFileSync(manifest, 'utf8')).name, dir)
}

t.test('multi-stage, pruned with turbo, and the runtime runs as an unprivileged user', async (t) => {
  const stages = instructions.filter((line) => /^FROM /i.test(line))
  t.ok(stages.length >= 3, 'several stages')
  t.ok(
    instructions.some((l) => /turbo prune "\$pkg" \$web --docker/.test(l)),
    'turbo prune --docker',
  )
  const lastFrom = instructions.findLastIndex((l) => /^FROM /i.test(l))
  const users = instructions.slice(lastFrom).filter((l) => /^USER /i.test(l))
  t.equal(users.length, 1, 'the runtime stage sets a user')
  t.notMatch(users[0] ?? '', /^USER (root|0)\b/i, 'not root')
  t.ok(
    instructions.some((l) => /^ARG APP=/.test(l)),
    'an ARG chooses the app',
  )
  t.match(
    instructions.at(-1),
    /^CMD \["node", .*"\/app\/main\.mjs"\]$/,
    'exec-form CMD: node is PID 1 and gets SIGTERM',
  )
})

t.test('the application code belongs to root and the runtime user cannot change it', async (t) => {
  const lastFrom = instructions.findLastIndex((l) => /^FROM /i.test(l))
  const runtime = instructions.slice(lastFrom)
  const copies = runtime.filter((l) => /^COPY /i.test(l))
  t.ok(copies.length > 0, 'the runtime copies the build')
  for (const copy of copies) t.notMatch(copy, /--chown/, `root-owned: ${copy}`)
  const user = runtime.findIndex((l) => /^USER /i.test(l))
  t.ok(
    copies.every((copy) => runtime.indexOf(copy) < user),
    'copied before the switch to the unprivileged user',
  )
  // What is copied carries the builder's modes: nothing writable by group or others.
  const builderRuns = instructions.slice(0, lastFrom).filter((l) => /^RUN /.test(l))
  t.match(builderRuns.at(-1), /chmod -R go-w \.$/, 'the builder removes group and other write bits last')
})

t.test('the base image is pinned by digest', async (t) => {
  const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? ''
  t.match(image, /^node:[\w.-]+@sha256:[0-9a-f]{64}$/, 'a tag for people, a digest for the build')
  // Every stage starts from the pinned image or from an earlier stage.
  const named: string[] = []
  for (const stage of instructions.filter((l) => /^FROM /i.test(l))) {
    const [, from = '', name = ''] = /^FROM (\S+) AS (\w+)$/.exec(stage) ?? []
    t.ok(/^\$\{NODE_IMAGE\}$/.test(from) || named.includes(from), `${stage}: the pinned image or an earlier stage`)
    named.push(name)
  }
})

t.test('the runtime sets no variable an app does not read', async (t) => {
  const lastFrom = instructions.findLastIndex((l) => /^FROM /i.test(l))
  const variables = instructions
    .slice(lastFrom)
    .filter((l) => /^ENV /.test(l))
    .flatMap((l) => [...l.slice(4).matchAll(/(\w+)=/g)].map((m) => m[1] as string))
  t.ok(variables.length > 0, 'the runtime sets variables')
  for (const variable of variables) {
    for (const app of Object.values(APPS).filter((a) => a.port !== undefined)) {
      t.ok(app.variables.has(variable), `${variable} is in the ${app.name} config schema`)
    }
  }
})

t.test('the tools the Dockerfile installs are the versions the repository pins', async (t) => {
  const pnpm = /pnpm@(\S+)/.exec(dockerfile)?.[1]
  t.equal(`pnpm@${pnpm}`, rootPackage.packageManager, 'pnpm as in packageManager')
  const turbo = /turbo@(\S+)/.exec(dockerfile)?.[1]
  t.equal(turbo, rootPackage.devDependencies.turbo.replace(/^[\^~]/, ''), 'turbo as in the root devDependencies')
  const node = /NODE_IMAGE=node:(\d+)/.exec(dockerfile)?.[1]
  t.equal(`>=${node}`, rootPackage.engines.node.replace(/\..*$/, ''), 'the Node major of engines.node')
  t.ok(turboConfig.tasks.build, 'turbo has the build task the Dockerfile runs')
})

t.test('every compose app maps to a workspace package whose build produces its entry file', async (t) => {
  const mapping = appMapping()
  const apps = Object.values(readCompose().services).flatMap((s) => (s.build?.args?.APP ? [s.build.args.APP] : []))
  for (const app of new Set(apps)) {
    const target = mapping.get(app)
    t.ok(target, `the Dockerfile knows APP=${app}`)
    if (!target) continue
    const dir = workspacePackages.get(target.pkg)
    t.ok(dir, `${target.pkg} is a workspace package`)
    if (!dir) continue
    const manifest = JSON.parse(readFileSync(fromRoot(dir, 'package.json'), 'utf8'))
    t.ok(manifest.scripts?.build, `${target.pkg} has a build script for turbo`)
    // The entry is compiled by that package's own build (it is built for this test run too).
    t.ok(target.entry.startsWith(`${dir}/dist/`), `${app}: the entry is in ${dir}/dist`)
    t.ok(existsSync(fromRoot(target.entry)), `${app}: ${target.entry} exists after the build`)
  }
})

t.test('the pruned workspace of every app has what its build reads', async (t) => {
  const mapping = appMapping()
  const copied = instructions
    .filter((l) => /^COPY --from=pruner \/repo\/[\w.]+ /.test(l))
    .map((l) => /\/repo\/([\w.]+) /.exec(l)?.[1] as string)
  // Pruned side by side: each is a separate turbo process.
  const pruned = await Promise.all(
    [...mapping].map(async ([app, { pkg, web }]) => {
      const out = mkdtempSync(join(tmpdir(), `sp-prune-${app}-`))
      t.teardown(() => rmSync(out, { recursive: true, force: true }))
      const packages = web ? [pkg, web] : [pkg]
      await run(fromRoot('node_modules/.bin/turbo'), ['prune', ...packages, '--docker', '--out-dir', out], {
        cwd: fromRoot(),
        env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
      })
      // The builder's `pnpm install --frozen-lockfile` on the pruned manifests: the lockfile must fit
      // them (checked without installing anything).
      const install = await run(
        fromRoot('node_modules/.bin/pnpm'),
        ['install', '--frozen-lockfile', '--lockfile-only', '--offline'],
        { cwd: join(out, 'json') },
      ).then(
        () => 0,
        (err: { code?: number }) => err.code ?? 1,
      )
      return { app, packages, out, install }
    }),
  )
  for (const { app, packages, out, install } of pruned) {
    t.equal(install, 0, `${app}: the pruned lockfile fits the pruned workspace (pnpm install --frozen-lockfile)`)
    const full = join(out, 'full')
    t.ok(existsSync(join(out, 'json', 'pnpm-lock.yaml')), `${app}: a pruned lockfile`)
    for (const pkg of packages) {
      t.ok(existsSync(join(full, workspacePackages.get(pkg) as string, 'package.json')), `${app}: ${pkg} itself`)
    }
    // Every tsconfig a pruned package extends is in the pruned tree or copied beside it.
    for (const dir of workspacePackages.values()) {
      const tsconfig = join(full, dir, 'tsconfig.json')
      if (!existsSync(tsconfig)) continue
      const extendsPath = JSON.parse(readFileSync(tsconfig, 'utf8')).extends as string | undefined
      if (!extendsPath) continue
      const needed = resolve(dirname(tsconfig), extendsPath)
      const present = existsSync(needed) || copied.includes(needed.slice(full.length + 1))
      t.ok(present, `${app}: ${dir}/tsconfig.json extends ${extendsPath}, which the build has`)
    }
  }
})

t.test("the gateway's image builds the web app and keeps it where the gateway serves it from", async (t) => {
  const gateway = appMapping().get('gateway')
  t.equal(gateway?.web, '@stagepass/web', 'the gateway is pruned and built with the web app')
  const webapp = gateway?.webapp ?? ''
  // The gateway resolves the app beside its own build; the runtime copies the builder's /repo to /app whole.
  t.equal(webapp, relative(fromRoot(), WEB_APP_DIR), 'the build lands where the gateway looks for it')
  // The bundle sits as deep as the compiled modules it was made from, so their `import.meta.url` paths hold.
  t.equal(gateway?.entry, 'gateway/dist/bundle/server.mjs', "the entry is the gateway's bundle")
  t.equal(
    relative(
      fromRoot(),
      resolve(fromRoot(), 'gateway/dist/bundle', relative(fromRoot('gateway/dist/src'), WEB_APP_DIR)),
    ),
    webapp,
    'from the bundle, the path the gateway builds leads to the same web app',
  )
  t.ok(
    instructions.some((l) => /^COPY --from=builder \/repo\/ \/app\/$/.test(l)),
    'the runtime copies the builder tree as it is',
  )
  t.ok(
    instructions.some((l) => /turbo run build --filter="\$PKG\.\.\." \$\{WEB:\+--filter="\$WEB\.\.\."\}/.test(l)),
    'the builder builds the web app (and the client it is built from)',
  )
  t.ok(existsSync(join(WEB_APP_DIR, 'index.html')), "the web app's build writes index.html there (built for this run)")

  // The builder's clean-up, run on a tree shaped like the build: it keeps the built app, drops its sources.
  const builderRuns = instructions.filter((l) => /^RUN /.test(l))
  const cleanup = builderRuns.find((l) => l.includes('pnpm install --prod')) ?? ''
  const finds = cleanup.split('; ').filter((step) => step.trim().startsWith('find . -path'))
  t.ok(finds.length >= 2, 'the clean-up removes sources and tests')
  const tree = mkdtempSync(join(tmpdir(), 'sp-image-'))
  t.teardown(() => rmSync(tree, { recursive: true, force: true }))
  for (const file of [
    `${webapp}/index.html`,
    `${webapp}/assets/app.js`,
    'packages/web/src/main.ts',
    'packages/web/dist/test/browser.test.js',
  ]) {
    mkdirSync(dirname(join(tree, file)), { recursive: true })
    writeFileSync(join(tree, file), '')
  }
  await run('sh', ['-c', finds.map((f) => f.trim()).join('; ')], { cwd: tree })
  t.ok(existsSync(join(tree, webapp, 'index.html')), 'the built app survives the clean-up')
  t.ok(existsSync(join(tree, webapp, 'assets/app.js')), 'with its assets')
  t.notOk(existsSync(join(tree, 'packages/web/src')), 'its sources do not')
  t.notOk(existsSync(join(tree, 'packages/web/dist/test')), 'nor its tests')
  t.match(
    cleanup,
    /if \[ -n "\$WEB_APP" \]; then test -f "\$WEB_APP\/index\.html"; fi/,
    'the image build fails without the app',
  )
  t.ok(cleanup.indexOf('WEB_APP/index.html') > cleanup.lastIndexOf('find . -path'), 'checked after the clean-up')
})
