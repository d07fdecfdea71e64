/**
 * The repository as plain JavaScript, for a test run without a TypeScript loader in every process.
 *
 * `make test` starts some 140 test processes and more for child servers; loading each one's modules
 * through tsx's hooks costs seconds of CPU per process. This transpiles every TypeScript file of the
 * folders below once (esbuild, about a second) into .tap/test-build/, with the options tsx uses, so
 * each process imports the same modules with `node` alone. Each file keeps an inline source map to
 * its .ts: stack traces and coverage (c8 with --exclude-after-remap) point at the sources.
 *
 * The tree mirrors the repository: next to each compiled .js is a link to its .ts (tests read the
 * sources, spawn tsx on them, compile entry points), and every other file and top-level entry is a
 * link to the original, so a test finds openapi/, deploy/, README.md or the migrations relative to
 * itself as it would in place. Packages resolve from the repository's node_modules, a parent folder.
 * .tap/ is ignored by git, ESLint and Prettier already.
 *
 * Writes the tree, a tap configuration without the loader (TAP_RCFILE) and the list of test files.
 * Plain JavaScript, so it needs no loader itself: `node scripts/test-build.mjs`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import process from 'node:process'
import { build } from 'esbuild'

const ROOT = join(import.meta.dirname, '..')
export const TREE = join(ROOT, '.tap', 'test-build')
const COMPILED = ['src', 'test', 'migrations', 'scripts', 'bench']
// Never linked: git's and the tools' own folders, and outputs a test run may write in the tree.
const SKIPPED = new Set(['.git', '.tap', 'node_modules', 'coverage', 'dist', 'data'])
// Marks the tree for test/helpers/compiled-entry.ts, which then finds entry points compiled here.
export const MARKER = 'test-build.json'
// What package.json's tap.include names: test/**/*.test.ts.
const TEST_FILE = /^test\/.*\.test\.ts$/

function filesUnder(dir) {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(ROOT, join(entry.parentPath ?? entry.path, entry.name)))
}

/** package.json's tap configuration, less the TypeScript loader, as a .taprc (JSON is YAML). */
function taprc() {
  const { tap } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  const { include: _include, ...config } = tap
  config['node-arg'] = (config['node-arg'] ?? []).filter((arg) => !/^--import[= ]tsx$/.test(arg))
  return JSON.stringify(config, null, 2)
}

async function main() {
  const building = `${TREE}.${process.pid}`
  rmSync(building, { recursive: true, force: true })
  mkdirSync(building, { recursive: true })

  const files = COMPILED.filter((dir) => existsSync(join(ROOT, dir))).flatMap(filesUnder)
  for (const file of files) {
    mkdirSync(join(building, dirname(file)), { recursive: true })
    symlinkSync(join(ROOT, file), join(building, file))
  }
  for (const entry of readdirSync(ROOT))
    if (!SKIPPED.has(entry) && !COMPILED.includes(entry)) symlinkSync(join(ROOT, entry), join(building, entry))

  await build({
    entryPoints: files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')).map((file) => join(ROOT, file)),
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
    // c8 reads the sources themselves; the maps stay small in every coverage file.
    sourcesContent: false,
    logLevel: 'warning'
  })

  const tests = files.filter((file) => TEST_FILE.test(file)).map((file) => relative(ROOT, join(TREE, file.replace(/\.ts$/, '.js'))))
  writeFileSync(join(building, MARKER), JSON.stringify({ root: ROOT, node: process.versions.node }))
  writeFileSync(join(building, 'taprc.yaml'), taprc())
  writeFileSync(join(building, 'test-files'), tests.sort().join('\n') + '\n')

  // Swapped in whole, so the tree never mixes two builds.
  rmSync(TREE, { recursive: true, force: true })
  renameSync(building, TREE)
  process.stdout.write(`test build: ${tests.length} test files in ${relative(ROOT, TREE)}\n`)
}

await main()
