/**
 * A TypeScript entry point and the project files it imports, compiled to plain JavaScript file by
 * file, so a test's child process starts with `node` alone instead of loading every file through
 * tsx's loader hooks (seconds per process on a busy machine). Same files, same module graph, same
 * packages: only the types are gone. Each file keeps an inline source map to its .ts, so stack
 * traces and coverage point at the sources.
 *
 * Output goes under node_modules/.cache (packages resolve from there), in a folder named by a
 * digest of the inputs: a changed file compiles afresh, an unchanged one is reused across runs.
 * A test running from the compiled tree of scripts/test-build.mjs finds its entry compiled there.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs'
import { join, relative } from 'node:path'
import { build } from 'esbuild'

const ROOT = new URL('../../', import.meta.url).pathname
// Written by scripts/test-build.mjs at the root of its tree.
const TEST_BUILD_MARKER = 'test-build.json'
const CACHE = join(ROOT, 'node_modules', '.cache', 'cis-test-entries')

// Trees of older sources are removed once no run could still be using them.
const KEEP_MS = 24 * 60 * 60 * 1000

const compiled = new Map<string, Promise<string>>()

/** The path of the compiled `entry` (a path relative to the repository, e.g. src/cli/main.ts). */
export function compiledEntry(entry: string): Promise<string> {
  let path = compiled.get(entry)
  if (!path) {
    path = compile(entry)
    compiled.set(entry, path)
  }
  return path
}

async function compile(entry: string): Promise<string> {
  if (existsSync(join(ROOT, TEST_BUILD_MARKER))) return join(ROOT, entry.replace(/\.ts$/, '.js'))
  // A bundling pass that writes nothing, only to learn which project files the entry imports.
  const graph = await build({
    entryPoints: [join(ROOT, entry)],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent'
  })
  const inputs = Object.keys(graph.metafile.inputs)
    .map((input) => join(ROOT, input))
    .sort()
  const hash = createHash('sha256').update(process.versions.node)
  for (const input of inputs) hash.update(relative(ROOT, input)).update('\0').update(readFileSync(input))
  const dir = join(CACHE, hash.digest('hex').slice(0, 16))
  const output = join(dir, entry.replace(/\.ts$/, '.js'))
  if (existsSync(output)) {
    // Marks the tree as in use, so pruning leaves it alone.
    const now = new Date()
    utimesSync(dir, now, now)
    return output
  }

  // Written beside and renamed into place, so a test process never sees half a tree.
  const building = `${dir}.${process.pid}`
  mkdirSync(CACHE, { recursive: true })
  await build({
    entryPoints: inputs,
    outdir: building,
    outbase: ROOT,
    bundle: false,
    platform: 'node',
    format: 'esm',
    // As tsx transforms each file, so coverage counts the same functions and branches.
    target: `node${process.versions.node}`,
    keepNames: true,
    minifyWhitespace: true,
    sourcemap: 'inline',
    sourcesContent: true,
    logLevel: 'silent'
  })
  try {
    renameSync(building, dir)
  } catch (error) {
    // Another test process got there first with the same files.
    rmSync(building, { recursive: true, force: true })
    if (!existsSync(output)) throw error
  }
  pruneOlderTrees(dir)
  return output
}

function pruneOlderTrees(current: string): void {
  for (const name of readdirSync(CACHE)) {
    const tree = join(CACHE, name)
    // Another process may be pruning the same tree.
    const age = Date.now() - (statSync(tree, { throwIfNoEntry: false })?.mtimeMs ?? Date.now())
    if (tree !== current && age > KEEP_MS) rmSync(tree, { recursive: true, force: true })
  }
}
