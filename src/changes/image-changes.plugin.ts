import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

type Listener = (imageId: string) => Promise<void>

declare module 'fastify' {
  interface FastifyInstance {
    /** Tells onImageChanged's listeners (tests announce changes written behind the app's back). */
    imageChanged(imageId: string): Promise<void>
    /** Hears every change that may alter what resolve answers, this replica's and other replicas'. */
    onImageChanged(listener: Listener): void
  }
}

// The former image-change bus, now fed by app.changes; goes once resolve subscribes to app.changes.
export default fp(
  async function imageChanges(app: FastifyInstance) {
    const listeners: Listener[] = []
    const tell = async (imageId: string) => {
      for (const listener of listeners) {
        try {
          await listener(imageId)
        } catch (err) {
          app.log.warn({ err, imageId }, 'an image-change listener failed')
        }
      }
    }
    app.decorate('onImageChanged', (listener: Listener) => void listeners.push(listener))
    app.decorate('imageChanged', tell)
    app.changes.subscribe((change) => (change.changesResolutions ? tell(change.imageId) : undefined))
  },
  { name: 'image-changes', dependencies: ['changes'] }
)
