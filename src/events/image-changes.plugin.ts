import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

type Listener = (imageId: string) => Promise<void>

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Announce, AFTER the commit, a change to an image's versions (status, digest, reference,
     * credential) or to its visibility, owner/debug project, credential, or its deletion.
     * Never throws: a listener's failure is logged, and caches bound their staleness anyway.
     */
    imageChanged(imageId: string): Promise<void>
    /** Subscribe to imageChanged (the resolve cache does, and tells other replicas). */
    onImageChanged(listener: Listener): void
  }
}

// The features that change images (images, versions, checks) and the one that caches them
// (resolve) meet here, so neither needs to know the other or the order they are registered in.
export default fp(
  async function imageChanges(app: FastifyInstance) {
    const listeners: Listener[] = []
    app.decorate('onImageChanged', (listener: Listener) => {
      listeners.push(listener)
    })
    app.decorate('imageChanged', async (imageId: string) => {
      for (const listener of listeners) {
        try {
          await listener(imageId)
        } catch (err) {
          app.log.warn({ err, imageId }, 'an image-change listener failed')
        }
      }
    })
  },
  { name: 'image-changes' }
)
