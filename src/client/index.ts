// The typed client of the service: openapi-fetch over the types generated from the contract
// (src/client/openapi.d.ts, `npm run client`). Requests and answers are checked by the compiler only.
import createClient, { type Client } from 'openapi-fetch'
import type { components, paths } from './openapi.js'

export type { components, paths }
export type Schemas = components['schemas']
export type Problem = Schemas['Problem']
export type CisClient = Client<paths>

export interface CisClientOptions {
  /** The service's root URL, e.g. http://127.0.0.1:3000 */
  baseUrl: string
  /** An API token; sent as `Authorization: Bearer …` on every request. */
  token?: string
}

export function createCisClient(options: CisClientOptions): CisClient {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }
  })
}
