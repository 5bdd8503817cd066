import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { testDialects } from '@tricircle/store'
import { JOB_TYPES } from '../jobs/registry.js'
import { call, createPod, fault, startTestAdmin } from './testing.js'

interface JobView {
  id: string
  project_id: string
  type: string
  timestamp: string
  status: string
  resource: Record<string, string>
  attempts?: number
}
type Page = { jobs: JobView[]; jobs_links: { rel: string; href: string }[] }

for (const dialect of testDialects()) {
  describe(`Admin API jobs on ${dialect.name}`, () => {
    const start = async (t: TestContext) => {
      const admin = await startTestAdmin(dialect)
      t.after(() => admin.close())
      const pod = await createPod(admin.app, 'RegionOne')
      // Jobs on a router need a routing proving the router is the project's.
      const routed = await call(admin.app, 'POST', '/v1.0/routings', {
        routing: {
          top_id: 'r-1',
          bottom_id: 'r-1',
          pod_id: pod.pod_id,
          project_id: 'p-1',
          resource_type: 'router',
        },
      })
      assert.equal(routed.statusCode, 200, routed.body)
      const routerJob = (network = 'n-1') => ({
        job: {
          type: 'router_setup',
          project_id: 'p-1',
          resource: { pod_id: pod.pod_id, router_id: 'r-1', network_id: network },
        },
      })
      const post = async (body: unknown) => {
        const res = await call(admin.app, 'POST', '/v1.0/jobs', body)
        assert.equal(res.statusCode, 202, res.body)
        return res.json<{ job: JobView }>().job
      }
      const setStatus = (id: string, status: 'RUNNING' | 'SUCCESS' | 'FAIL') =>
        admin.deps.db.updateTable('async_jobs').set({ status }).where('id', '=', id).execute()
      return { ...admin, pod, routerJob, post, setStatus }
    }

    test('schemas list every type with its resource fields in order', async (t) => {
      const { app } = await start(t)
      const res = await call(app, 'GET', '/v1.0/jobs/schemas')
      assert.deepEqual(res.json(), {
        schemas: Object.entries(JOB_TYPES).map(([type, resource]) => ({ type, resource })),
      })
    })

    test('create queues a NEW job, which shows and lists', async (t) => {
      const { app, pod, routerJob, post } = await start(t)
      const job = await post(routerJob())
      assert.deepEqual(
        { ...job, id: typeof job.id },
        {
          id: 'string',
          project_id: 'p-1',
          type: 'router_setup',
          timestamp: '2026-01-01 12:00:00',
          status: 'NEW',
          resource: { pod_id: pod.pod_id, router_id: 'r-1', network_id: 'n-1' },
        },
      )
      assert.deepEqual((await call(app, 'GET', `/v1.0/jobs/${job.id}`)).json(), { job })
      const seg = await post({
        job: { type: 'seg_rule_setup', project_id: 'p-9', resource: { project_id: 'p-9' } },
      })
      const detail = (await call(app, 'GET', '/v1.0/jobs/detail')).json<Page>().jobs
      assert.deepEqual(
        detail.map((j) => [j.id, j.attempts]),
        [
          [seg.id, 0],
          [job.id, 0],
        ],
      )
      const missing = await call(app, 'GET', '/v1.0/jobs/nope')
      assert.deepEqual(fault(missing.body), ['itemNotFound', 404])
    })

    test('bad jobs are 400 with the fault body and queue nothing', async (t) => {
      const { app, pod, routerJob, deps } = await start(t)
      const resource = routerJob().job.resource
      const bodies: [unknown, RegExp][] = [
        [undefined, /body/],
        [{ job: 'x' }, /job/],
        [{ job: { ...routerJob().job, type: '' } }, /type can not be empty/],
        [{ job: { ...routerJob().job, project_id: ' ' } }, /project_id can not be empty/],
        [{ job: { ...routerJob().job, type: 'qos_create' } }, /not supported/],
        [{ job: { ...routerJob().job, resource: { pod_id: pod.pod_id } } }, /missing fields/],
        [{ job: { ...routerJob().job, resource: { ...resource, x: 'y' } } }, /redundant/],
        [{ job: { ...routerJob().job, resource: { ...resource, router_id: 7 } } }, /empty/],
        [{ job: { ...routerJob().job, resource: 'r-1' } }, /resource/],
        [{ job: { ...routerJob().job, project_id: 'p-2' } }, /doesn't belong to the project p-2/],
        [
          { job: { type: 'seg_rule_setup', project_id: 'p-1', resource: { project_id: 'p-2' } } },
          /project_id/,
        ],
      ]
      for (const [body, message] of bodies) {
        const res = await call(app, 'POST', '/v1.0/jobs', body)
        assert.deepEqual(
          fault(res.body),
          ['badRequest', 400],
          `${JSON.stringify(body)} → ${res.body}`,
        )
        assert.match(res.body, message)
      }
      assert.deepEqual(await deps.db.selectFrom('async_jobs').selectAll().execute(), [])
    })

    test('list: filters, newest first, next links that keep the filters', async (t) => {
      const { app, routerJob, post, setStatus } = await start(t)
      const ids: string[] = []
      for (let i = 0; i < 5; i++) {
        ids.push((await post(routerJob(`n-${i}`))).id)
        await post({
          job: { type: 'seg_rule_setup', project_id: 'p-1', resource: { project_id: 'p-1' } },
        })
      }
      await setStatus(ids[0]!, 'FAIL')
      let url: string | undefined = '/v1.0/jobs?type=router_setup&project_id=p-1&limit=2'
      const seen: string[] = []
      for (let pages = 0; url && pages < 10; pages++) {
        const page: Page = (await call(app, 'GET', url)).json()
        assert.ok(page.jobs.every((j) => j.type === 'router_setup'))
        seen.push(...page.jobs.map((j) => j.id))
        const next = page.jobs_links.find((l) => l.rel === 'next')?.href
        if (next)
          assert.match(next, /^\/v1\.0\/jobs\?type=router_setup&project_id=p-1&limit=2&marker=/)
        url = next
      }
      assert.deepEqual(seen, [...ids].reverse())
      const failed = (await call(app, 'GET', '/v1.0/jobs?status=fail')).json<Page>().jobs
      assert.deepEqual(
        failed.map((j) => [j.id, j.status]),
        [[ids[0], 'FAIL']],
      )
      for (const bad of ['colour=red', 'status=done', 'marker=nope', 'limit=two']) {
        const res = await call(app, 'GET', `/v1.0/jobs?${bad}`)
        assert.deepEqual(fault(res.body), ['badRequest', 400], bad)
      }
    })

    test('redo re-queues FAIL and NEW jobs; RUNNING and SUCCESS are refused', async (t) => {
      const { app, routerJob, post, setStatus } = await start(t)
      const job = await post(routerJob())
      const redo = () => call(app, 'PUT', `/v1.0/jobs/${job.id}`)
      await setStatus(job.id, 'FAIL')
      const redone = await redo()
      assert.deepEqual(
        [redone.statusCode, redone.json<{ job: JobView }>().job.status],
        [200, 'NEW'],
      )
      for (const status of ['RUNNING', 'SUCCESS'] as const) {
        await setStatus(job.id, status)
        assert.deepEqual(fault((await redo()).body), ['badRequest', 400], status)
      }
      const missing = await call(app, 'PUT', '/v1.0/jobs/nope')
      assert.deepEqual(fault(missing.body), ['itemNotFound', 404])
    })

    test('delete removes jobs that are not running', async (t) => {
      const { app, routerJob, post, setStatus } = await start(t)
      const job = await post(routerJob())
      await setStatus(job.id, 'RUNNING')
      const refused = await call(app, 'DELETE', `/v1.0/jobs/${job.id}`)
      assert.deepEqual(fault(refused.body), ['badRequest', 400])
      await setStatus(job.id, 'SUCCESS')
      const deleted = await call(app, 'DELETE', `/v1.0/jobs/${job.id}`)
      assert.deepEqual([deleted.statusCode, deleted.json()], [200, {}])
      const again = await call(app, 'DELETE', `/v1.0/jobs/${job.id}`)
      assert.deepEqual(fault(again.body), ['itemNotFound', 404])
    })
  })
}
