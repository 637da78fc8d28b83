/**
 * Bundles `files` (paths under `root`, relative to it or absolute) into `outdir`, sharing the code they
 * have in common as chunks; gives each file's bundle, by file.
 */
export function bundleTests(options: { root: string; files: string[]; outdir: string }): Promise<Map<string, string>>
