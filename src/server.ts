import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { setTimeout } from 'node:timers/promises'
import { loadConfig, shutdownTimeout, type Config } from './config.js'
import { checkCredentialKeys } from './credentials/credentials-key.js'
import { checkDataDir, explainStartupFailure } from './db/start-up.js'

// The only entry point that listens. Every foreseen start-up failure ends the process with one line
// on stderr naming what is wrong and what to set: exit 78 (EX_CONFIG) for a setting, 69
// (EX_UNAVAILABLE) for a database that cannot be reached. What needs no database is checked first,
// so a bad setting changes nothing (no migration is applied before the key is known to be good).
async function start() {
  let config: Config | undefined
  try {
    config = loadConfig()
    const databaseKind = config.DATABASE_URL ? 'postgres' : 'embedded'
    checkCredentialKeys({ key: config.CREDENTIALS_KEY, oldKeys: config.CREDENTIALS_OLD_KEYS, databaseKind })
    if (databaseKind === 'embedded') checkDataDir(config.DATA_DIR)
    return { config, app: await buildApp({ config }) }
  } catch (error) {
    const failure = explainStartupFailure(error, config?.DATABASE_URL)
    if (failure) {
      process.stderr.write(`${failure.line}\n`)
      process.exit(failure.exitCode)
    }
    throw error
  }
}

const { config, app } = await start()

// SIGTERM (Kubernetes, systemd): /readyz answers 503 at once, and the replica keeps serving for
// DRAIN_DELAY_MS while load balancers take it out, every answer closing its connection. Then it stops
// accepting, finishes the requests in flight, cuts the checks under way short and hands their jobs
// back, flushes the resolution log and closes the pool (preClose and onClose hooks). SIGINT (a
// terminal's Ctrl-C) skips the drain. Past the whole budget close-with-grace exits 1.
const drainMs = config.DRAIN_DELAY_MS
const closeBudgetMs = shutdownTimeout(config)
closeWithGrace({ delay: drainMs + closeBudgetMs }, async ({ signal, err }) => {
  const began = performance.now()
  if (err) app.log.error({ err }, 'shutting down after an error')
  else app.log.info({ signal, drainMs: signal === 'SIGTERM' ? drainMs : 0, closeBudgetMs }, 'shutting down')
  app.readiness.draining()
  if (signal === 'SIGTERM' && drainMs > 0) await setTimeout(drainMs)
  const drained = performance.now()
  await app.close()
  app.log.info(
    { drainedMs: Math.round(drained - began), closedMs: Math.round(performance.now() - drained) },
    'shut down: requests answered, checks handed back, log flushed'
  )
})

try {
  await app.listen({ host: config.HOST, port: config.PORT })
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    process.stderr.write(
      `Invalid configuration: cannot listen on HOST=${config.HOST} PORT=${config.PORT} (${code}); set HOST and PORT to a free address.\n`
    )
    await app.close()
    process.exit(78)
  }
  app.log.fatal({ err: error }, 'could not listen')
  process.exit(1)
}
