import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'

t.test('defaults and conversion from environment strings', async (t) => {
  const config = loadConfig({ PORT: '8080', RESOLVE_CACHE: 'false', TRUST_PROXY: 'true' })
  t.equal(config.PORT, 8080)
  t.equal(config.RESOLVE_CACHE, false)
  t.equal(config.TRUST_PROXY, true)
  t.equal(config.HOST, '127.0.0.1')
  t.equal(config.DATA_DIR, './data')
  t.equal(config.DATABASE_URL, undefined)
  t.equal(config.LOG_LEVEL, 'info')
})

t.test('empty values count as unset', async (t) => {
  t.equal(loadConfig({ PORT: '' }).PORT, 3000)
})

t.test('a bad value names the variable and what is expected, in one line', async (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'abc' }, /^Invalid configuration: PORT="abc" expected integer \(TCP port\)$/],
    [{ PORT: '70000' }, /^Invalid configuration: PORT="70000" .*65535/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL="loud" must be one of fatal, error, warn, info, debug, trace, silent/],
    [{ DATABASE_URL: 'mysql://x' }, /^Invalid configuration: DATABASE_URL=\(hidden\)/],
    [{ CHECK_CONCURRENCY: '0' }, /^Invalid configuration: CHECK_CONCURRENCY="0"/]
  ]
  for (const [env, expected] of cases) {
    const error = t.throws(() => loadConfig(env)) as Error
    t.type(error, ConfigError)
    t.match(error.message, expected)
    t.notMatch(error.message, /\n/)
  }
})

t.test('secrets are never echoed in configuration errors', async (t) => {
  const error = t.throws(() => loadConfig({ ADMIN_TOKEN: 'short-secret' })) as Error
  t.match(error.message, /^Invalid configuration: ADMIN_TOKEN=\(hidden\)/)
  t.notMatch(error.message, /short-secret/)
})

t.test('the README documents every variable', async (t) => {
  const { readFileSync } = await import('node:fs')
  const { ConfigSchema } = await import('../../src/config.js')
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  for (const name of Object.keys(ConfigSchema.properties)) t.match(readme, new RegExp(`^\\| \`${name}\` \\|`, 'm'), name)
})

t.test('the shutdown timeout is derived from the other timeouts and never shorter than them', async (t) => {
  const { loadConfig, shutdownTimeout } = await import('../../src/config.js')
  t.equal(shutdownTimeout(loadConfig({})), 40_000, 'unset: REQUEST_TIMEOUT_MS (30 s, the longer) + 10 s to flush and close')
  t.equal(shutdownTimeout(loadConfig({ REGISTRY_TIMEOUT_MS: '50000' })), 60_000, 'follows a longer registry timeout')
  t.equal(shutdownTimeout(loadConfig({ SHUTDOWN_TIMEOUT_MS: '90000' })), 90_000, 'a longer value is kept')
  const error = t.throws(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '10000', REGISTRY_TIMEOUT_MS: '15000' })) as Error
  t.match(error.message, /^Invalid configuration: SHUTDOWN_TIMEOUT_MS=10000 is shorter than what a shutdown may need \(40000 ms/)
})
