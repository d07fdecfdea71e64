// Folders form layers: no two folders of src/ import each other (directly or round a longer
// cycle), and the shared foundations never import a feature. Type-only imports count too: they
// couple the folders just the same.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import t from 'tap'

const SRC = resolve(import.meta.dirname, '../../src')
const FOUNDATIONS = new Set(['db', 'http', 'config', 'registry', 'signatures', 'auth', 'metrics', 'telemetry', 'jobs'])
// The composition root: builds the app from every feature.
const ROOT_FILES = new Set(['app', 'server'])
// Gathers every folder's table types into the database type (each folder owns its tables).
const TABLE_REGISTRY = 'db/schema.ts'

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []
  )
}

/** src/versions/x.ts → versions; src/config.ts → config; undefined outside src/ (migrations). */
function folderOf(file: string): string | undefined {
  const path = relative(SRC, file)
  return path.startsWith('..') ? undefined : path.split('/')[0]!.replace(/\.[jt]s$/, '')
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|(?:^|\n)\s*import\s+['"](\.[^'"]+)['"]/g

/** folder → folders it imports, each with one file that shows it. */
function folderImports(): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>()
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file)!
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const to = folderOf(resolve(dirname(file), m[1] ?? m[2]!))
      if (to === undefined || to === from) continue
      if (!edges.has(from)) edges.set(from, new Map())
      edges.get(from)!.set(to, relative(SRC, file))
    }
  }
  return edges
}

t.test('no cycle between the folders of src/', async (t) => {
  const edges = folderImports()
  const cycles: string[] = []
  // Depth-first search from every folder; a path back to its start is a cycle.
  const walk = (start: string, at: string, path: string[]) => {
    for (const [next, file] of edges.get(at) ?? []) {
      if (ROOT_FILES.has(next) || (at === 'db' && file === TABLE_REGISTRY)) continue
      if (next === start) cycles.push([...path, `${next} (${file})`].join(' → '))
      else if (!path.some((p) => p.startsWith(`${next} `)) && next > start) walk(start, next, [...path, `${next} (${file})`])
    }
  }
  for (const folder of edges.keys()) walk(folder, folder, [folder])
  t.same(cycles, [], 'folders that import each other')
})

t.test('foundations (db, http, config, registry, signatures, auth, metrics, telemetry, jobs) import no feature', async (t) => {
  const edges = folderImports()
  const offences: string[] = []
  for (const from of FOUNDATIONS) {
    for (const [to, file] of edges.get(from) ?? []) {
      if (FOUNDATIONS.has(to) || file === TABLE_REGISTRY) continue
      offences.push(`${file} imports ${to}/`)
    }
  }
  t.same(offences, [])
})
