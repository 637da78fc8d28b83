const ER_DUP_ENTRY = 1062

/**
 * True when `err` is MySQL's duplicate key error; with `index`, only a duplicate on that unique index
 * (MariaDB and MySQL word the message differently, and both name the index).
 */
export function isDuplicateKey(err: unknown, index?: string): boolean {
  const { errno, sqlMessage } = (err ?? {}) as { errno?: unknown; sqlMessage?: unknown }
  if (errno !== ER_DUP_ENTRY) return false
  return index === undefined || (typeof sqlMessage === 'string' && sqlMessage.includes(index))
}
