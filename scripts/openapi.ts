// Writes openapi/openapi.json from the route schemas (`npm run openapi`), or with --check fails
// when the committed file differs from what the code generates.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

export const CONTRACT_PATH = new URL('../openapi/openapi.json', import.meta.url)

const dataDir = mkdtempSync(join(tmpdir(), 'cis-openapi-'))
try {
  // An embedded database in a throwaway folder: generating the contract needs no server.
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn', ADMIN_TOKEN: 'cis_openapi-generation-only-token-000000' })
  const app = await buildApp({ config })
  await app.ready()
  const generated = `${JSON.stringify(app.swagger(), null, 2)}\n`
  await app.close()
  if (process.argv.includes('--check')) {
    const committed = readFileSync(CONTRACT_PATH, 'utf8')
    if (committed !== generated) {
      process.stderr.write('openapi/openapi.json is stale: run `npm run openapi` and commit the result.\n')
      process.exitCode = 1
    } else process.stdout.write('openapi/openapi.json is up to date.\n')
  } else {
    writeFileSync(CONTRACT_PATH, generated)
    process.stdout.write('wrote openapi/openapi.json\n')
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}
