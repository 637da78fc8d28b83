import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRepoRoot(from: string): string {
  let dir = from
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('cannot find the stagepass workspace root')
    dir = parent
  }
  return dir
}

export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)))
export const fromRoot = (...parts: string[]) => resolve(repoRoot, ...parts)
