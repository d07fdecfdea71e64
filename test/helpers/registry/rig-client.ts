/**
 * A registry client configured to trust the given rig parts (registries, proxies): their hosts are
 * both insecure (plain http) and allowed private addresses. Override any option per test.
 */
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from '../../../src/registry/index.js'

export function createRigClient(trusted: { hosts: string[] }[], overrides: Partial<RegistryClientOptions> = {}): RegistryClient {
  const hosts = [...new Set(trusted.flatMap((part) => part.hosts))]
  return createRegistryClient({
    insecureHosts: hosts,
    allowedPrivateHosts: hosts,
    connectTimeoutMs: 2000,
    totalTimeoutMs: 10_000,
    maxBodyBytes: 1024 * 1024,
    ...overrides
  })
}
