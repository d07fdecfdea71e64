/**
 * What a Kubernetes Service and the load balancer in front of it do to a set of replicas, on
 * 127.0.0.1: each backend's /readyz is polled and only ready backends get requests, round-robin,
 * over keep-alive connections. A connection error before any byte of the answer (refused, or a
 * reused socket the backend closed) sends an idempotent request once more to another ready
 * backend, as Envoy and nginx do; anything else reaches the client as it happened.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { Agent, Pool, request } from 'undici'
import { listenLocal } from './registry/listen.js'

export interface RoundRobinProxyOptions {
  /** Backend base URLs (`http://127.0.0.1:PORT`); a restarted replica comes back on the same one. */
  backends: string[]
  readinessIntervalMs?: number
  /** Keep-alive connections per backend. */
  connectionsPerBackend?: number
}

export interface RoundRobinProxy {
  url: string
  host: string
  /** Answers forwarded to the client, per backend URL. */
  forwarded: Record<string, number>
  /** Requests sent again to another backend after a connection error: which backend failed, how, when. */
  retried: { backend: string; error: string; at: Date }[]
  /** Requests answered 502/503 by the proxy itself: the error, or no backend was ready. */
  failed: { method: string; path: string; error: string }[]
  /** The backends whose last readiness probe answered 200. */
  ready(): string[]
  /** Resolves once `backend` is (true) or is not (false) among the ready ones, as the proxy sees it. */
  waitReady(backend: string, ready: boolean, limitMs: number): Promise<boolean>
  stop(): Promise<void>
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'host'])

const withoutHopByHop = (headers: IncomingMessage['headers'] | Record<string, string | string[] | undefined>) =>
  Object.fromEntries(
    Object.entries(headers).filter(([name, value]) => value !== undefined && !HOP_BY_HOP.has(name.toLowerCase()))
  ) as Record<string, string | string[]>

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return chunks.length > 0 ? Buffer.concat(chunks) : undefined
}

export async function startRoundRobinProxy(options: RoundRobinProxyOptions): Promise<RoundRobinProxy> {
  const intervalMs = options.readinessIntervalMs ?? 100
  const pools = new Map(options.backends.map((url) => [url, new Pool(url, { connections: options.connectionsPerBackend ?? 16 })]))
  // Probes come on connections of their own, like the kubelet's, not queued behind traffic.
  const probes = new Agent({ connections: 1, headersTimeout: 1000, bodyTimeout: 1000, connectTimeout: 1000 })
  const readiness = new Map(options.backends.map((url) => [url, false]))
  const forwarded: Record<string, number> = Object.fromEntries(options.backends.map((url) => [url, 0]))
  const failed: RoundRobinProxy['failed'] = []
  const retried: RoundRobinProxy['retried'] = []
  let next = 0
  let stopped = false

  const probe = async (url: string): Promise<void> => {
    try {
      const res = await request(`${url}/readyz`, { dispatcher: probes })
      await res.body.dump()
      readiness.set(url, res.statusCode === 200)
    } catch {
      readiness.set(url, false)
    }
  }
  const probeAll = () => Promise.all(options.backends.map(probe))
  await probeAll()
  const probing = (async () => {
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
      if (!stopped) await probeAll()
    }
  })()

  const ready = () => options.backends.filter((url) => readiness.get(url) === true)
  const pick = (exclude?: string): string | undefined => {
    const candidates = ready().filter((url) => url !== exclude)
    if (candidates.length === 0) return undefined
    next = (next + 1) % candidates.length
    return candidates[next]
  }

  const send = (backend: string, req: IncomingMessage, body: Buffer | undefined) =>
    (pools.get(backend) as Pool).request({
      method: req.method as 'GET',
      path: req.url ?? '/',
      headers: withoutHopByHop(req.headers),
      body: body ?? null
    })

  const answer = async (res: ServerResponse, backend: string, upstream: Awaited<ReturnType<typeof send>>) => {
    forwarded[backend] = (forwarded[backend] ?? 0) + 1
    res.writeHead(upstream.statusCode, withoutHopByHop(upstream.headers))
    // An error after the first byte cannot be hidden: the client sees its connection cut.
    await pipeline(upstream.body, res).catch(() => res.destroy())
  }

  const refuse = (req: IncomingMessage, res: ServerResponse, status: number, error: string) => {
    failed.push({ method: req.method ?? '', path: req.url ?? '', error })
    res
      .writeHead(status, { 'content-type': 'application/problem+json' })
      .end(JSON.stringify({ type: 'about:blank', title: 'Bad gateway', status, detail: error }))
  }

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req)
      const first = pick()
      if (!first) return refuse(req, res, 503, 'no ready backend')
      try {
        return await answer(res, first, await send(first, req, body))
      } catch (error) {
        const again = IDEMPOTENT.has(req.method ?? '') ? pick(first) : undefined
        if (!again) return refuse(req, res, 502, `${first}: ${String(error)}`)
        retried.push({ backend: first, error: `${(error as { code?: string }).code ?? ''} ${String(error)}`, at: new Date() })
        try {
          return await answer(res, again, await send(again, req, body))
        } catch (secondError) {
          return refuse(req, res, 502, `${first}: ${String(error)}; ${again}: ${String(secondError)}`)
        }
      }
    })().catch(() => res.destroy())
  })
  const listening = await listenLocal(server)

  return {
    url: listening.url,
    host: listening.host,
    forwarded,
    retried,
    failed,
    ready,
    async waitReady(backend, wanted, limitMs) {
      const deadline = Date.now() + limitMs
      while (readiness.get(backend) !== wanted) {
        if (Date.now() > deadline || stopped) return false
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      return true
    },
    async stop() {
      stopped = true
      await listening.close()
      await probing
      await Promise.all([...pools.values()].map((pool) => pool.destroy()))
      await probes.destroy()
    }
  }
}
