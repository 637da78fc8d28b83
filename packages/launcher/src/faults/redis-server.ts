import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { freePort } from '../ports.js'

/**
 * A `redis-server` of the fault suite's own, on a free port, never the machine's shared one: the
 * suite restarts it. It keeps an append-only file synced on every write in a directory of its own,
 * as a deployment that must not lose queued jobs does, so a restart keeps BullMQ's queues.
 */
export class RedisServer {
  readonly port: number
  readonly #dir: string
  #child: ChildProcess | undefined
  #exited: Promise<void> = Promise.resolve()

  private constructor(port: number, dir: string) {
    this.port = port
    this.#dir = dir
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'sp-faults-redis-')))
    await server.#spawn()
    return server
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async #spawn(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.#dir, '--save', '']
    args.push('--appendonly', 'yes', '--appendfsync', 'always')
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.#child = child
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()))
    const lines = createInterface({ input: child.stdout })
    const seen: string[] = []
    await new Promise<void>((resolve, reject) => {
      child.once('error', (err) => reject(new Error(`redis-server could not be started: ${err.message}`)))
      child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}:\n${seen.join('\n')}`)))
      lines.on('line', (line) => {
        seen.push(line)
        if (line.includes('Ready to accept connections')) resolve()
      })
    })
    lines.close()
    child.stdout?.resume()
    child.stderr?.resume()
  }

  /** Stops it (SIGTERM: it writes what it has and exits) and starts it again on the same port and files. */
  async restart(): Promise<void> {
    await this.stop({ keepFiles: true })
    await this.#spawn()
  }

  async stop({ keepFiles = false } = {}): Promise<void> {
    const child = this.#child
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await this.#exited
    if (!keepFiles) rmSync(this.#dir, { recursive: true, force: true })
  }
}
