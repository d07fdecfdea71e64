// The bare Fastify route the benchmark compares resolve with, in a process of its own (as each
// target would run in production): it answers every `/v1/images/<code>/resolve` URL with the body
// it is given (BENCH_BARE_BODY, a resolve answer), so the load generator and the kernel do the same
// work as for resolve. Prints one JSON line with its port when ready; stops on SIGTERM.
import Fastify from 'fastify'

const body = JSON.parse(process.env.BENCH_BARE_BODY as string) as Record<string, unknown>
const bare = Fastify()
bare.get('/v1/images/:code/resolve', async () => body)
await bare.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`${JSON.stringify({ port: (bare.server.address() as { port: number }).port })}\n`)

process.on('SIGTERM', async () => {
  await bare.close()
  process.exit(0)
})
