import type { FastifyServerOptions } from 'fastify'

// Anything that can hold a secret is censored wherever it appears in a log object, at any of the
// depths our log lines use. Request bodies are never logged, but a feature that logs an object
// containing one of these keys is still safe.
const SECRET_KEYS = ['password', 'token', 'secret', 'pullSecret', 'authorization', 'cookie', 'adminToken', 'credentialsKey', 'key']

const paths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`])
]

export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths, censor: '[redacted]' },
    ...(stream ? { stream } : {})
  }
}
