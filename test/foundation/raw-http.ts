/**
 * Raw HTTP/1.1 over a socket, for what inject cannot send: malformed requests reach Node's parser
 * only on a real connection.
 */
import { connect } from 'node:net'
import type { FastifyInstance } from 'fastify'

export interface RawAnswer {
  status: number
  headers: Record<string, string>
  body: string
  /** The server closed the connection (within the wait). */
  closed: boolean
  /** Milliseconds from the first byte sent to the connection's end. */
  elapsed: number
}

export async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return (app.server.address() as { port: number }).port
}

/** Sends `chunks` (waiting `pauseMs` between them), then reads until the server closes or `waitMs` passes. */
export function rawRequest(
  port: number,
  chunks: string[],
  { waitMs = 3000, pauseMs = 0, destroyAfterMs }: { waitMs?: number; pauseMs?: number; destroyAfterMs?: number } = {}
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const received: Buffer[] = []
    const started = Date.now()
    let closed = false
    const finish = () => {
      clearTimeout(timer)
      socket.destroy()
      const text = Buffer.concat(received).toString('utf8')
      const [head = '', ...rest] = text.split('\r\n\r\n')
      const [statusLine = '', ...lines] = head.split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const i = line.indexOf(':')
        if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim()
      }
      resolve({
        status: Number(statusLine.split(' ')[1] ?? 0),
        headers,
        body: rest.join('\r\n\r\n'),
        closed,
        elapsed: Date.now() - started
      })
    }
    const timer = setTimeout(finish, waitMs)
    socket.on('data', (d: Buffer) => received.push(d))
    socket.on('end', () => {
      closed = true
      finish()
    })
    socket.on('close', () => {
      closed = true
      finish()
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the answer was read still counts as the server closing.
      if (error.code === 'ECONNRESET' && received.length > 0) return
      if (destroyAfterMs === undefined) reject(error)
    })
    socket.on('connect', async () => {
      for (const [i, chunk] of chunks.entries()) {
        if (i > 0 && pauseMs) await new Promise((r) => setTimeout(r, pauseMs))
        socket.write(chunk)
      }
      if (destroyAfterMs !== undefined) setTimeout(() => socket.destroy(), destroyAfterMs)
    })
  })
}
