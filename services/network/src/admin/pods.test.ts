import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { testDialects } from '@tricircle/store'
import { call, createPod, fault, startTestAdmin } from './testing.js'

type Pod = { pod_id: string; region_name: string; az_name: string; pod_az_name: string }

for (const dialect of testDialects()) {
  describe(`Admin API pods on ${dialect.name}`, () => {
    const start = async (t: TestContext) => {
      const admin = await startTestAdmin(dialect)
      t.after(() => admin.close())
      return admin
    }

    test('one top pod; bottom pods by region; duplicates are 409', async (t) => {
      const { app } = await start(t)
      const top = await call(app, 'POST', '/v1.0/pods', {
        pod: { region_name: ' CentralRegion ', pod_az_name: 'ignored', dc_name: 'dc1' },
      })
      assert.equal(top.statusCode, 200)
      const topPod = top.json<{ pod: Pod }>().pod
      assert.deepEqual(
        { ...topPod, pod_id: typeof topPod.pod_id },
        {
          pod_id: 'string',
          region_name: 'CentralRegion',
          az_name: '',
          pod_az_name: '',
          dc_name: 'dc1',
        },
      )
      const conflicts: [unknown, RegExp][] = [
        [{ pod: { region_name: 'Other' } }, /Top region already exists/],
        [{ pod: { region_name: 'CentralRegion', az_name: 'az1' } }, /is the top region/],
      ]
      const one = await createPod(app, 'RegionOne', 'az1')
      conflicts.push([{ pod: { region_name: 'RegionOne', az_name: 'az2' } }, /already exists/])
      for (const [body, message] of conflicts) {
        const res = await call(app, 'POST', '/v1.0/pods', body)
        assert.deepEqual(fault(res.body), ['conflictingRequest', 409], res.body)
        assert.match(
          res.json<{ conflictingRequest: { message: string } }>().conflictingRequest.message,
          message,
        )
      }
      await createPod(app, 'RegionTwo', 'az1') // several pods may share an AZ

      const list = await call(app, 'GET', '/v1.0/pods')
      assert.deepEqual(
        list.json<{ pods: Pod[] }>().pods.map((p) => p.region_name),
        ['CentralRegion', 'RegionOne', 'RegionTwo'],
      )
      const shown = await call(app, 'GET', `/v1.0/pods/${one.pod_id}`)
      assert.equal(shown.json<{ pod: Pod }>().pod.region_name, 'RegionOne')
    })

    test('two admins creating the top pod at once: one wins, one gets 409', async (t) => {
      const { app } = await start(t)
      const results = await Promise.all(
        ['A', 'B'].map((r) => call(app, 'POST', '/v1.0/pods', { pod: { region_name: r } })),
      )
      assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 409])
    })

    test('bad bodies are 400 with the fault body, never 500', async (t) => {
      const { app } = await start(t)
      const bodies = [
        undefined,
        {},
        { pod: 'x' },
        { pod: {} },
        { pod: { region_name: '   ' } },
        { pod: { region_name: 'R', az_name: 'az' + 'x'.repeat(300) } },
        { pod: { region_name: 5 } },
        { pod: { region_name: 'R', az_name: ['az1'] } },
        [],
      ]
      for (const body of bodies) {
        const res = await call(app, 'POST', '/v1.0/pods', body)
        assert.deepEqual(fault(res.body), ['badRequest', 400], JSON.stringify(body))
      }
      assert.equal((await call(app, 'GET', '/v1.0/pods')).json<{ pods: Pod[] }>().pods.length, 0)
    })

    test('delete: 200 {}, then 404; refused while routings use the pod', async (t) => {
      const { app } = await start(t)
      const pod = await createPod(app, 'RegionOne')
      const used = await createPod(app, 'RegionTwo')
      const routing = await call(app, 'POST', '/v1.0/routings', {
        routing: {
          top_id: 'net-1',
          bottom_id: 'net-1',
          pod_id: used.pod_id,
          project_id: 'p-1',
          resource_type: 'network',
        },
      })
      assert.equal(routing.statusCode, 200, routing.body)
      const refused = await call(app, 'DELETE', `/v1.0/pods/${used.pod_id}`)
      assert.deepEqual(fault(refused.body), ['conflictingRequest', 409])

      const deleted = await call(app, 'DELETE', `/v1.0/pods/${pod.pod_id}`)
      assert.deepEqual([deleted.statusCode, deleted.json()], [200, {}])
      for (const method of ['GET', 'DELETE'] as const) {
        const res = await call(app, method, `/v1.0/pods/${pod.pod_id}`)
        assert.deepEqual(fault(res.body), ['itemNotFound', 404])
      }
    })
  })
}
