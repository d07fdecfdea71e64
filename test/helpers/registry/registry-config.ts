/**
 * Configuration files for the rig's docker-registry: the YAML config (127.0.0.1 only, storage in
 * the rig's temp dir, deletes enabled, quiet logs) and the auth material for each auth mode.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createTokenIssuer } from './token-issuer.js'
import { startTokenServer, type RigUser, type TokenServer } from './token-server.js'
import type { StartRegistryOptions } from './start-registry.js'

const run = promisify(execFile)
export const TOKEN_SERVICE = 'registry-rig'
export const TOKEN_ISSUER = 'registry-rig-issuer'

export function configYaml(port: number, dir: string, authBlock: string): string {
  return (
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      `  filesystem:`,
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      `  secret: ${randomBytes(16).toString('hex')}`,
      authBlock
    ].join('\n') + '\n'
  )
}

export async function authConfig(
  options: StartRegistryOptions,
  users: RigUser[],
  dir: string
): Promise<{ block: string; tokenServer?: TokenServer }> {
  if (options.auth === 'none') return { block: '' }
  if (options.auth === 'basic') {
    const lines = await Promise.all(users.map(async (u) => (await run('htpasswd', ['-Bbn', u.username, u.password])).stdout.trim()))
    await writeFile(join(dir, 'htpasswd'), lines.join('\n') + '\n')
    return { block: ['auth:', '  htpasswd:', '    realm: registry-rig', `    path: ${join(dir, 'htpasswd')}`].join('\n') }
  }
  const issuer = await createTokenIssuer(dir)
  await writeFile(join(dir, 'token-bundle.pem'), issuer.certificatePem)
  const tokenServer = await startTokenServer({
    issuer,
    issuerName: TOKEN_ISSUER,
    service: TOKEN_SERVICE,
    users,
    anonymousPull: options.anonymousPull
  })
  return {
    tokenServer,
    block: [
      'auth:',
      '  token:',
      `    realm: ${tokenServer.realm}`,
      `    service: ${TOKEN_SERVICE}`,
      `    issuer: ${TOKEN_ISSUER}`,
      `    rootcertbundle: ${join(dir, 'token-bundle.pem')}`
    ].join('\n')
  }
}
