/** What the fake cloud is told to do and what it holds, shared by its services. */
export const PROJECT = 'p-demo'
export const TOKEN = 'tok-demo'

export interface FakeCloudOptions {
  regions?: string[]
  /** Container names [from, to] whose pings never answer. */
  unreachable?: [string, string][]
  /** How many times each pair's ping fails before it answers (routes converging). */
  failFirstPings?: number
  /** Containers never leave Creating. */
  stuck?: boolean
  /** A container name that ends in Error. */
  errorOn?: string
  /** The caller is no admin: a forced delete is a 403. */
  forbidForce?: boolean
  /** Leave the container service of this region out of the catalog. */
  missingContainerRegion?: string
}

export interface FakeCloud {
  stateDir: string
  neutron: { networks: any[]; subnets: any[]; routers: any[]; ports: any[] }
  containers: any[]
  requests: string[]
  close(): Promise<void>
}
