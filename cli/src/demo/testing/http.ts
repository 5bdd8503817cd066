/** The fake cloud's plumbing: a JSON server on a loopback port and the faults it answers. */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}
export type Handler = (req: IncomingMessage, url: URL, body: any) => Reply
export async function serve(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let text = ''
    req.on('data', (chunk: Buffer) => (text += chunk.toString()))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x')
      const r = handler(req, url, text ? JSON.parse(text) : undefined)
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers })
      res.end(r.body === undefined ? '' : JSON.stringify(r.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

export const neutronFault = (status: number, type: string, message: string): Reply => ({
  status,
  body: { NeutronError: { type, message, detail: '' } },
})
export const zunFault = (status: number, detail: string): Reply => ({
  status,
  body: { errors: [{ status, code: '', title: detail, detail }] },
})
export const matches = (item: any, url: URL) =>
  [...url.searchParams].every(([k, v]) => String(item[k]) === v)
