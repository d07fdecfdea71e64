// The README's walk-through, run as printed: the shell blocks between its walkthrough markers (curl,
// then cis) go to bash with `set -euo pipefail`, against the service started the way the README says
// and a real registry holding the images it names. Only the values a reader fills in are replaced: the
// service's address, the registry's and the admin token. A step the service answers with an error
// stops the script (curl -f, jq -e), so a README that drifts from the API fails here.
import t from 'tap'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { ADMIN_TOKEN, build } from '../helpers/app.js'
import { compiledEntry } from '../helpers/compiled-entry.js'
import { pushImage } from '../helpers/registry/index.js'
import { startStoryRegistry } from './story-helpers.js'

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const README_REGISTRY = '127.0.0.1:5000'

function block(name: string): string {
  const found = new RegExp(`<!-- ${name}:start -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\`\\n<!-- ${name}:end -->`).exec(README)
  if (!found?.[1]) throw new Error(`README.md has no ${name} block`)
  return found[1]
}

// `cis` as the package's bin would run it: this checkout's source, compiled to JavaScript.
const CIS = `cis() { node ${await compiledEntry('src/cli/main.ts')} "$@"; }\n`

/** The settings of the README's `… npm start` line for a local registry. */
function startSettings(): Record<string, string> {
  const line = README.split('\n').find((l) => /^(?:[A-Z_]+=\S+ )+npm start$/.test(l))
  if (!line) throw new Error('README.md has no "SETTING=value npm start" line for the local registry')
  return Object.fromEntries(
    line
      .split(' ')
      .slice(0, -2)
      .map((pair) => pair.split('=') as [string, string])
  )
}

function fillIn(script: string, values: { api: string; registry: string; admin: string }): string {
  const assignments: [RegExp, string][] = [
    [/^API=.*$/m, `API=${values.api}`],
    [/^REGISTRY=.*$/m, `REGISTRY=${values.registry}`],
    [/^ADMIN=.*$/m, `ADMIN=${values.admin}`]
  ]
  for (const [pattern, replacement] of assignments) {
    if (!pattern.test(script)) throw new Error(`the walkthrough no longer sets ${replacement.split('=')[0]}`)
    script = script.replace(pattern, replacement)
  }
  return script
}

t.test('the README walk-through runs as printed', async (t) => {
  const registry = await startStoryRegistry(t, { auth: 'none' })
  for (const tag of ['20.12-1', '20.13-1', '20.13-2']) await pushImage(registry, { repository: 'ci/node', tag, kind: 'oci-image' })

  const settings = startSettings()
  t.same(
    Object.keys(settings).sort(),
    ['REGISTRY_ALLOWED_PRIVATE_HOSTS', 'REGISTRY_INSECURE_HOSTS'],
    'a local registry needs both registry settings'
  )
  const env = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, v.replace(README_REGISTRY, registry.host)]))
  const { app } = await build(t, { env: { ...env, LOG_LEVEL: 'warn' } })
  const address = await app.listen({ host: '127.0.0.1', port: 0 })

  const script =
    CIS + fillIn(block('walkthrough'), { api: address, registry: registry.host, admin: ADMIN_TOKEN }) + block('walkthrough-cis')
  const run = promisify(execFile)
  let stdout = ''
  let stderr = ''
  let failed: unknown
  try {
    ;({ stdout, stderr } = await run('bash', ['-c', `set -euo pipefail\n${script}`], { timeout: 120_000, maxBuffer: 8 * 1024 * 1024 }))
  } catch (error) {
    failed = error
    ;({ stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string })
  }
  t.notOk(failed, `the walk-through ran to its end${failed ? `\nstderr: ${stderr}\nstdout: ${stdout.slice(-2000)}` : ''}`)
  t.match(stdout, new RegExp(`${registry.host.replace(/\./g, '\\.')}/ci/node@sha256:[0-9a-f]{64}`), 'step 5 printed a pinned reference')
  t.match(stdout, /"version":"1\.0\.0"/, 'step 6 resolved 1.0.0 for project web')
  const [, ...rest] = stdout.split('"action":"version.withdrawn"')
  t.equal(rest.length, 1, 'the audit trail holds the withdrawal')
  t.match(stdout, /1\.1\.1/, 'cis published and released the patch')
})
