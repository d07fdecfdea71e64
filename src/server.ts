import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

// The only entry point that listens. Configuration errors (a bad variable, or a missing key found
// while the app is built) end the process with one clear line instead of a stack trace.
async function start() {
  try {
    const config = loadConfig()
    return { config, app: await buildApp({ config }) }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(78) // EX_CONFIG
    }
    throw error
  }
}

const { config, app } = await start()

// SIGTERM/SIGINT: stop accepting, let in-flight requests finish, then close the pool (onClose hooks).
closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error')
  else app.log.info({ signal }, 'shutting down')
  // /readyz answers 503 from here on, so load balancers stop sending new requests.
  app.readiness.draining()
  await app.close()
})

try {
  await app.listen({ host: config.HOST, port: config.PORT })
} catch (error) {
  app.log.fatal({ err: error }, 'could not listen')
  process.exit(1)
}
