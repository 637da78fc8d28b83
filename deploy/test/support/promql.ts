/** Words that are PromQL syntax, not metric names. */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
])

/**
 * The metric names a PromQL expression (or a Grafana `label_values(metric, label)` query) reads.
 * Strings, label matchers, ranges, label lists, numbers and `$variables` are dropped first; what is
 * left and not followed by `(` (a function or aggregation) is a metric name.
 */
export function metricNamesIn(expr: string): string[] {
  const labelValues = /^\s*label_values\(\s*([a-zA-Z_:][\w:]*)\s*,/.exec(expr)
  if (labelValues) return [labelValues[1] as string]
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ')
    .replace(/\b\d+(\.\d+)?([eE][+-]?\d+)?\b/g, ' ')
  const names: string[] = []
  for (const match of bare.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const rest = bare.slice((match.index ?? 0) + match[0].length).trimStart()
    if (rest.startsWith('(') || KEYWORDS.has(match[0].toLowerCase())) continue
    names.push(match[0])
  }
  return [...new Set(names)]
}
