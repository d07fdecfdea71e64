import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { CredentialCipher, type SealedSecret } from './credential-cipher.js'
import { loadCredentialKeys } from './credentials-key.js'
import { countCredentialsByKey } from './credentials.repository.js'
import { credentialRevealer, type CredentialSecrets } from './credentials.service.js'
import credentialsRoutes from './credentials.routes.js'
import type { CredentialUsers } from './credential-users.js'

declare module 'fastify' {
  interface FastifyInstance {
    credentialSecrets: CredentialSecrets
    /**
     * Seals other secrets the service must read back (webhook signing secrets) with the same key
     * ring. `context` is authenticated: use a prefix of your own and the row's id (`webhook:<id>`).
     */
    secretSealer: SecretSealer
  }
}

export interface SecretSealer {
  seal(context: string, plaintext: string): SealedSecret
  open(context: string, sealed: SealedSecret): string
}

export default fp(
  async function credentials(app: FastifyInstance, { users }: { users: CredentialUsers }) {
    const { keys, keyFile } = loadCredentialKeys({
      key: app.config.CREDENTIALS_KEY,
      oldKeys: app.config.CREDENTIALS_OLD_KEYS,
      databaseKind: app.database.kind,
      dataDir: app.config.DATA_DIR
    })
    if (keyFile?.generated) app.log.info({ path: keyFile.path }, 'generated a credentials encryption key (keep it with the data directory)')
    const cipher = new CredentialCipher(keys)

    // Not fatal: every other route still works; only those credentials cannot be used until the
    // missing key is added to CREDENTIALS_OLD_KEYS.
    for (const { keyId, count } of await countCredentialsByKey(app.db)) {
      if (!keys.byId.has(keyId))
        app.log.warn({ keyId, count }, 'credentials are encrypted with a key this process does not have: add it to CREDENTIALS_OLD_KEYS')
    }

    app.decorate('credentialSecrets', credentialRevealer(app.db, cipher))
    app.decorate('secretSealer', {
      seal: (context: string, plaintext: string) => cipher.seal(context, plaintext),
      open: (context: string, sealed: SealedSecret) => cipher.open(context, sealed)
    })
    await app.register(credentialsRoutes, { cipher, users })
  },
  { name: 'credentials', dependencies: ['database', 'changes'] }
)
