/**
 * A TCP proxy between the app and PostgreSQL that a test can cut and restore, to make the database
 * unreachable mid-test. cut('refuse') closes every connection and refuses new ones (server down);
 * cut('hang') closes every connection and accepts new ones without ever answering (packets lost).
 */
import net from 'node:net'

export interface TcpProxy {
  port: number
  url(databaseUrl: string): string
  cut(mode?: 'refuse' | 'hang'): Promise<void>
  restore(): Promise<void>
  close(): Promise<void>
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>()
  let mode: 'open' | 'hang' = 'open'
  const server = net.createServer((client) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => client.destroy())
    if (mode === 'hang') return
    const upstream = net.connect(target)
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
    client.pipe(upstream).pipe(client)
  })
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()))
  await listen(0)
  const port = (server.address() as net.AddressInfo).port
  const destroyAll = () => {
    for (const s of sockets) s.destroy()
    sockets.clear()
  }
  return {
    port,
    url(databaseUrl) {
      const u = new URL(databaseUrl)
      u.hostname = '127.0.0.1'
      u.port = String(port)
      return u.toString()
    },
    async cut(how = 'refuse') {
      destroyAll()
      if (how === 'hang') {
        mode = 'hang'
        return
      }
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
    async restore() {
      mode = 'open'
      destroyAll()
      if (!server.listening) await listen(port)
    },
    async close() {
      destroyAll()
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
