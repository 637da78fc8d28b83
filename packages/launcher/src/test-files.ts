import { existsSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { repoRoot } from './paths.js'

const WORKSPACES = ['packages', 'services']
const SINGLE_WORKSPACES = ['gateway', 'loadtests', 'deploy']

function walk(dir: string, found: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walk(path, found)
    else if (entry.name.endsWith('.test.js')) found.push(relative(repoRoot, path))
  }
}

/** Every compiled test file (`<workspace>/dist/test/**\/*.test.js`), in a stable order. */
export function findTestFiles(): string[] {
  const workspaces = [
    ...WORKSPACES.flatMap((group) =>
      existsSync(join(repoRoot, group)) ? readdirSync(join(repoRoot, group)).map((name) => join(group, name)) : [],
    ),
    ...SINGLE_WORKSPACES,
  ]
  const found: string[] = []
  for (const workspace of workspaces) {
    const testDir = join(repoRoot, workspace, 'dist', 'test')
    if (existsSync(testDir)) walk(testDir, found)
  }
  return found.sort()
}
