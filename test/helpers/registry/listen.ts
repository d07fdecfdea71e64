/**
 * Starting and stopping node:http servers of the rig: always on 127.0.0.1, on a free port, and
 * closed with their open (possibly hanging) connections so teardown never waits for a client.
 */
import type { Server } from 'node:http'

export interface Listening {
  /** `127.0.0.1:PORT` */
  host: string
  /** `http://127.0.0.1:PORT` */
  url: string
  port: number
  close(): Promise<void>
}

export async function listenLocal(server: Server): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address')
  const host = `127.0.0.1:${address.port}`
  let closed: Promise<void> | undefined
  return {
    host,
    url: `http://${host}`,
    port: address.port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closed
    }
  }
}
