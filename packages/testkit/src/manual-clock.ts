import type { Clock } from '@stagepass/kit'

/**
 * A clock the test moves: `set(ms)` and `advance(ms)`. Stopped by default, so `now()` is exactly
 * what the test last made it; `{ running: true }` lets it run with the system clock from `start`,
 * for a system whose other parts (BullMQ delays, Redis and MySQL timestamps) keep real time, while
 * `advance` still jumps it forward.
 */
export class ManualClock implements Clock {
  #at: number
  readonly #running: boolean
  #setAt: number

  constructor({ start = Date.now(), running = false }: { start?: number; running?: boolean } = {}) {
    this.#at = start
    this.#running = running
    this.#setAt = Date.now()
  }

  now(): number {
    return this.#running ? this.#at + (Date.now() - this.#setAt) : this.#at
  }

  set(ms: number): void {
    this.#at = ms
    this.#setAt = Date.now()
  }

  advance(ms: number): void {
    this.set(this.now() + ms)
  }
}
