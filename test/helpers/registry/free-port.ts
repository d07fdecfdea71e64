/**
 * Free TCP ports on 127.0.0.1, for children (docker-registry) that need a port in their config file
 * before they start. Node servers in the rig listen on port 0 instead and read the port back.
 */
import { createServer } from 'node:net'

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}
