// A service with two projects' images and tokens of every kind the webhook rules tell apart.
import type { Test } from 'tap'
import { build, type TestApp } from '../helpers/app.js'

export const RECEIVER = 'https://hooks.example.com/ci'

export interface WebhookFixture {
  test: TestApp
  tokens: {
    /** images:read/write for proj-a */
    pubA: string
    /** images:read/write for proj-a and proj-b */
    pubAB: string
    /** images:read/write for proj-b */
    pubB: string
    /** images:read for proj-a */
    readerA: string
    /** images:read/write for every project, not admin */
    unrestricted: string
    /** resolve for web */
    resolver: string
  }
}

export async function webhookFixture(t: Test, env: Record<string, string> = {}): Promise<WebhookFixture> {
  const test = await build(t, { env })
  for (const [code, ownerProject] of [
    ['alpha-img', 'proj-a'],
    ['alpha-two', 'proj-a'],
    ['beta-img', 'proj-b']
  ] as const) {
    const res = await test.call({ method: 'POST', url: '/v1/images', payload: { code, name: code, ownerProject } })
    if (res.statusCode !== 201) throw new Error(`image ${code}: ${res.body}`)
  }
  const publisher = ['images:read', 'images:write']
  return {
    test,
    tokens: {
      pubA: await test.token({ name: 'pub-a', scopes: publisher, projects: ['proj-a'] }),
      pubAB: await test.token({ name: 'pub-ab', scopes: publisher, projects: ['proj-a', 'proj-b'] }),
      pubB: await test.token({ name: 'pub-b', scopes: publisher, projects: ['proj-b'] }),
      readerA: await test.token({ name: 'reader-a', scopes: ['images:read'], projects: ['proj-a'] }),
      unrestricted: await test.token({ name: 'everywhere', scopes: publisher, projects: null }),
      resolver: await test.token({ name: 'engine', scopes: ['resolve'], projects: ['web'] })
    }
  }
}

export interface CreatedWebhook {
  id: string
  secret: string
  project: string | null
  status: string
}

/** Subscribes through the API and fails the test unless it answers 201. */
export async function subscribe(test: TestApp, token: string | undefined, body: Record<string, unknown>): Promise<CreatedWebhook> {
  const res = await test.call({ method: 'POST', url: '/v1/webhooks', token, payload: { url: RECEIVER, events: ['*'], ...body } })
  if (res.statusCode !== 201) throw new Error(`subscribe: ${res.statusCode} ${res.body}`)
  return res.json<CreatedWebhook>()
}
