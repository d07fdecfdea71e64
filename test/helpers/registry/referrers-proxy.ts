/**
 * A small proxy in front of a rig registry for what docker-registry 2.8 cannot do: it answers the
 * OCI 1.1 referrers API (`GET /v2/<repo>/referrers/<digest>`) from the referrers the test registers,
 * and forwards everything else. It can also serve other bytes for a blob (a tampered payload, which no
 * registry would store under the wrong digest) and answer 503 to signature lookups only, and it
 * records every request so a test can count what a lookup cost.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import { listenLocal } from './listen.js'

export interface ReferrerDescriptor {
  mediaType: string
  digest: string
  size: number
  artifactType: string
}

export interface ReferrersProxy {
  /** `127.0.0.1:PORT`: use it as the registry host in references. */
  host: string
  url: string
  hosts: string[]
  /** Lists a referrer of `subject` in the referrers API; without any, the API answers an empty index. */
  addReferrer(subject: string, descriptor: ReferrerDescriptor): void
  /** `index` (default) answers the referrers API; a status code answers that instead (404: a registry without it). */
  referrersAnswer: 'index' | number
  /** Serve these bytes for GET of the blob with this digest. */
  tamperBlob(digest: string, bytes: Buffer): void
  /** Answer 503 to the referrers API and to manifests tagged `*.sig`. */
  failSignatureLookups: boolean
  requests: { method: string; path: string }[]
  stop(): Promise<void>
}

const REFERRERS_PATH = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/
const BLOB_PATH = /^\/v2\/.+\/blobs\/(sha256:[a-f0-9]{64})$/
const SIG_TAG_PATH = /^\/v2\/.+\/manifests\/sha256-[a-f0-9]{64}\.sig$/

function forward(target: URL, req: IncomingMessage, res: ServerResponse): void {
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    }
  )
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502).end()
    else res.destroy()
  })
  req.pipe(upstream)
}

export async function startReferrersProxy(target: { url: string }): Promise<ReferrersProxy> {
  const targetUrl = new URL(target.url)
  const referrers = new Map<string, ReferrerDescriptor[]>()
  const tampered = new Map<string, Buffer>()

  const proxy: ReferrersProxy = {
    host: '',
    url: '',
    hosts: [],
    addReferrer(subject, descriptor) {
      referrers.set(subject, [...(referrers.get(subject) ?? []), descriptor])
    },
    referrersAnswer: 'index',
    tamperBlob(digest, bytes) {
      tampered.set(digest, bytes)
    },
    failSignatureLookups: false,
    requests: [],
    stop: async () => {}
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy.invalid')
    proxy.requests.push({ method: req.method ?? '', path: url.pathname })
    const referrersMatch = REFERRERS_PATH.exec(url.pathname)
    if (proxy.failSignatureLookups && (referrersMatch !== null || SIG_TAG_PATH.test(url.pathname))) {
      return void res.writeHead(503, { 'content-type': 'text/plain' }).end('maintenance')
    }
    if (referrersMatch !== null && req.method === 'GET') {
      if (proxy.referrersAnswer !== 'index') {
        return void res.writeHead(proxy.referrersAnswer, { 'content-type': 'text/plain' }).end(`HTTP ${proxy.referrersAnswer}`)
      }
      const wanted = url.searchParams.get('artifactType')
      const listed = (referrers.get(referrersMatch[2] ?? '') ?? []).filter((d) => wanted === null || d.artifactType === wanted)
      const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: listed })
      return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' }).end(body)
    }
    const blob = BLOB_PATH.exec(url.pathname)?.[1]
    const bytes = blob === undefined ? undefined : tampered.get(blob)
    if (bytes !== undefined && req.method === 'GET') {
      return void res.writeHead(200, { 'content-type': 'application/octet-stream', 'docker-content-digest': blob }).end(bytes)
    }
    forward(targetUrl, req, res)
  })
  const listening = await listenLocal(server)
  proxy.host = listening.host
  proxy.url = listening.url
  proxy.hosts = [listening.host]
  proxy.stop = () => listening.close()
  return proxy
}
