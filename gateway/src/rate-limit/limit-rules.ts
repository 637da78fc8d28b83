/**
 * How many requests one client address or one user may make per window, per route group, written
 * compactly in the environment: `ip:100/10s,user:6/10s`, `ip:600/1m`, `user:30/10s` or `off`.
 * `ip` comes first when both are given, so every setting has exactly one spelling.
 */

export type LimitKind = 'ip' | 'user'

export interface Limit {
  max: number
  windowMs: number
}

export type GroupLimits = Partial<Record<LimitKind, Limit>>

const RULE = '[1-9][0-9]{0,6}/[1-9][0-9]{0,3}[sm]'

/** The JSON-schema pattern of a group's setting; the config rejects anything else at start-up. */
export const LIMIT_RULES_PATTERN = `^(off|ip:${RULE}(,user:${RULE})?|user:${RULE})$`

const UNIT_MS = { s: 1000, m: 60_000 } as const

function parseLimit(rule: string): Limit {
  const match = /^(\d+)\/(\d+)([sm])$/.exec(rule)
  if (!match) throw new Error(`not a limit: ${rule}`)
  const [, max, amount, unit] = match
  return { max: Number(max), windowMs: Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS] }
}

/** A setting the config schema has already validated, as limits; `off` is no limit at all. */
export function parseGroupLimits(setting: string): GroupLimits {
  if (setting === 'off') return {}
  const limits: GroupLimits = {}
  for (const part of setting.split(',')) {
    const [kind, rule = ''] = part.split(':') as [LimitKind, string]
    limits[kind] = parseLimit(rule)
  }
  return limits
}
