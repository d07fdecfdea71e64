import fp from 'fastify-plugin'
import compress from '@fastify/compress'
import type { FastifyInstance } from 'fastify'

// Answers of 1 KiB and more go out in br or gzip when the client accepts it (lists, the contract);
// smaller ones would barely shrink. Streams of events (text/event-stream) are never compressed, so
// each event reaches the client when it is sent. Request bodies are small JSON: none is inflated.
export default fp(
  async function compression(app: FastifyInstance) {
    await app.register(compress, { threshold: 1024, encodings: ['br', 'gzip'], globalDecompression: false })
  },
  { name: 'compression' }
)
