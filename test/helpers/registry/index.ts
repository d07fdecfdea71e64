/**
 * Real-registry test rig: a docker-registry child process (no auth, Basic or token auth), image
 * pushes through the registry API, and a fault-injecting proxy. Everything listens on 127.0.0.1.
 *
 *   const registry = await startRegistry({ auth: 'token' })
 *   t.teardown(registry.stop)
 *   const image = await pushImage(registry, { repository: 'team/app', tag: '1.0', kind: 'oci-index' })
 *   const client = createRigClient([registry]) // or createRegistryClient({ insecureHosts: trustedHosts(registry), ... })
 *   t.teardown(() => client.close())
 */
export { startRegistry, REGISTRY_BINARY, TOKEN_ISSUER, TOKEN_SERVICE } from './start-registry.js'
export type { RigAuth, RigRegistry, StartRegistryOptions } from './start-registry.js'
export { pushImage } from './push-image.js'
export type { ImageKind, PushImageOptions, PushedImage } from './push-image.js'
export { startFaultProxy } from './fault-proxy.js'
export { createRigClient } from './rig-client.js'
export type { FaultMode, FaultProxy, FaultProxyOptions, RedirectTargetRecord } from './fault-proxy.js'
export type { RigUser, TokenServer, TokenRequestRecord } from './token-server.js'
export type { RigPlatform } from './image-content.js'
export { RIG_MEDIA_TYPES } from './image-content.js'
export {
  signImage,
  deleteManifest,
  generateTestKeyPair,
  simpleSigningPayload,
  signPayload,
  COSIGN_MEDIA_TYPES,
  COSIGN_SIGNATURE_ANNOTATION
} from './signed-image.js'
export type { SignImageOptions, SignatureSpec, SignedImage, TestKeyPair, TestKeyAlgorithm } from './signed-image.js'
export { startReferrersProxy } from './referrers-proxy.js'
export type { ReferrersProxy, ReferrerDescriptor } from './referrers-proxy.js'

/** Every host:port the given rig parts serve, for insecureHosts and allowedPrivateHosts. */
export function trustedHosts(...parts: { hosts: string[] }[]): string[] {
  return [...new Set(parts.flatMap((part) => part.hosts))]
}
