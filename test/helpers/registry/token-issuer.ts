/**
 * Signing material for the rig's token server: a self-signed RSA certificate made with the openssl
 * CLI (node:crypto cannot issue X.509 certificates) and RS256 JWTs in the form docker-registry 2.8
 * accepts: `x5c` header holding the certificate, `aud` a plain string.
 */
import { execFile } from 'node:child_process'
import { X509Certificate, createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface TokenIssuer {
  /** PEM certificate, to be written as the registry's `rootcertbundle`. */
  certificatePem: string
  issue(claims: { issuer: string; audience: string; subject: string; access: RepositoryAccess[]; lifetimeSeconds: number }): string
}

export interface RepositoryAccess {
  type: 'repository'
  name: string
  actions: string[]
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url')

export async function createTokenIssuer(dir: string): Promise<TokenIssuer> {
  const keyPath = join(dir, 'token-key.pem')
  const certPath = join(dir, 'token-cert.pem')
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-days',
    '2',
    '-subj',
    '/CN=registry-rig-token',
    '-keyout',
    keyPath,
    '-out',
    certPath
  ])
  const certificatePem = await readFile(certPath, 'utf8')
  const key: KeyObject = createPrivateKey(await readFile(keyPath, 'utf8'))
  const x5c = new X509Certificate(certificatePem).raw.toString('base64')

  return {
    certificatePem,
    issue({ issuer, audience, subject, access, lifetimeSeconds }) {
      const now = Math.floor(Date.now() / 1000)
      const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [x5c] }))
      const payload = base64url(
        JSON.stringify({
          iss: issuer,
          sub: subject,
          aud: audience,
          iat: now,
          nbf: now - 30,
          exp: now + lifetimeSeconds,
          jti: randomUUID(),
          access
        })
      )
      const signature = sign('sha256', Buffer.from(`${header}.${payload}`), key)
      return `${header}.${payload}.${base64url(signature)}`
    }
  }
}
