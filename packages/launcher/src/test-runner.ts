import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { Writable } from 'node:stream'
import { Parser } from 'tap-parser'
import { fromRoot, repoRoot } from './paths.js'

// Runs compiled tap test files, each as `node <file>`, a few at a time, and reports them as one TAP
// stream. tap's own runner starts every test file with its process-tracking loader, which serves
// coverage (not collected here) and more than doubles the CPU a file spends loading the code it tests
// (2.1 → 4.5 CPU-seconds for a file that loads booking): a third of the suite's CPU went there
// (docs/testing.md). A file run on its own is the same tap test: same API, same TAP, its exit code.

/** How the files are run. */
export interface TestRunSettings {
  /** Files run at once. */
  jobs: number
  /** Seconds a file's root test may take, as tap's `timeout` (a file may raise its own). */
  timeoutSeconds: number
}

export interface FileOutcome {
  file: string
  ok: boolean
  /** Leaf assertions, passed and failed. */
  assertions: number
  failed: number
  skipped: number
  ms: number
}

/** `jobs` and `timeout` from the repository's `.taprc`, which `tap` itself reads too. */
export function testRunSettings(): TestRunSettings {
  const taprc = readFileSync(fromRoot('.taprc'), 'utf8')
  const setting = (key: string, fallback: number) => {
    const value = Number(taprc.match(new RegExp(`^${key}:\\s*(\\d+)\\s*$`, 'm'))?.[1])
    return Number.isInteger(value) && value > 0 ? value : fallback
  }
  return { jobs: setting('jobs', 2), timeoutSeconds: setting('timeout', 30) }
}

/** No file of this suite takes more than a few minutes: one still running after this is hung. */
const HUNG_SECONDS = 900

const LEAF_RESULT = /^\s*(not )?ok \d+\b(?!.*# time=)/
const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => (line ? `    ${line}` : line))
    .join('\n')

function runFile(file: string, entry: string, settings: TestRunSettings, env: NodeJS.ProcessEnv) {
  return new Promise<FileOutcome & { output: string }>((resolve) => {
    const started = performance.now()
    const child = spawn(process.execPath, ['--enable-source-maps', entry], {
      cwd: repoRoot,
      env: { ...env, TAP_TIMEOUT: String(settings.timeoutSeconds) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a file that never ends is stopped with everything it started.
      detached: true,
    })
    const chunks: string[] = []
    let summary: { ok: boolean } | undefined
    const parser = new Parser((results) => {
      summary = { ok: results.ok }
    })
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      chunks.push(chunk)
      parser.write(chunk)
    })
    child.stderr.on('data', (chunk: string) => chunks.push(chunk))
    // tap ends a root test at its timeout itself, and a file may raise that (the fault suite allows itself
    // ten minutes); this is for a file whose process never ends.
    const hardStop = setTimeout(() => {
      chunks.push(`\n# ${file}: still running after ${HUNG_SECONDS} s; stopped with what it started\n`)
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }, HUNG_SECONDS * 1000)
    hardStop.unref()
    child.on('error', (error) => {
      clearTimeout(hardStop)
      resolve({ file, ok: false, assertions: 0, failed: 0, skipped: 0, ms: 0, output: `# ${file}: ${error.message}\n` })
    })
    child.on('close', (code, signal) => {
      clearTimeout(hardStop)
      parser.end()
      const output = chunks.join('')
      const lines = output.split('\n')
      const leaves = lines.filter((line) => LEAF_RESULT.test(line))
      const failed = leaves.filter((line) => /^\s*not ok/.test(line)).length
      const skipped = leaves.filter((line) => /# SKIP\b/i.test(line)).length
      const ok = code === 0 && signal === null && summary?.ok === true
      if (!ok && code !== 0) chunks.push(`\n# ${file}: exited with ${signal ?? `code ${code}`}\n`)
      resolve({
        file,
        ok,
        assertions: leaves.length,
        failed,
        skipped,
        ms: performance.now() - started,
        output: chunks.join(''),
      })
    })
  })
}

/**
 * Runs the files, `settings.jobs` at a time in the order given, and writes one TAP stream to `out`: each
 * file a subtest, written whole when it ends. One outcome per file. A file is run as itself, or as what
 * `entryOf` gives for it (its bundle).
 */
export async function runTestFiles(
  files: string[],
  settings: TestRunSettings,
  env: NodeJS.ProcessEnv,
  out: Writable,
  entryOf: (file: string) => string = (file) => file,
): Promise<FileOutcome[]> {
  out.write(`TAP version 14\n1..${files.length}\n`)
  const outcomes: FileOutcome[] = []
  const started = performance.now()
  let next = 0
  let reported = 0
  const worker = async () => {
    while (next < files.length) {
      const index = next++
      const file = files[index] as string
      const { output, ...outcome } = await runFile(file, entryOf(file), settings, env)
      outcomes.push(outcome)
      reported += 1
      const time = `# time=${outcome.ms.toFixed(0)}ms`
      out.write(
        `# Subtest: ${file}\n${indent(output.trimEnd())}\n${outcome.ok ? 'ok' : 'not ok'} ${reported} - ${file} ${time}\n\n`,
      )
    }
  }
  await Promise.all(Array.from({ length: Math.min(settings.jobs, files.length) }, worker))
  const failedFiles = outcomes.filter((o) => !o.ok)
  const total = (key: 'assertions' | 'failed' | 'skipped') => outcomes.reduce((sum, o) => sum + o[key], 0)
  out.write(
    `# files: ${outcomes.length}, failed: ${failedFiles.length}; assertions: ${total('assertions')}, ` +
      `failed: ${total('failed')}, skipped: ${total('skipped')}\n`,
  )
  for (const { file } of failedFiles) out.write(`# failed: ${file}\n`)
  out.write(`# time=${(performance.now() - started).toFixed(0)}ms\n`)
  return outcomes
}
