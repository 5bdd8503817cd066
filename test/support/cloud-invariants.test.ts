import assert from 'node:assert/strict'
import { test } from 'node:test'
import type Dockerode from 'dockerode'
import { hardeningProblems } from './cloud-invariants.js'

const inspect = (
  hostConfig: Partial<Dockerode.HostConfig>,
  mounts: { Type: string }[] = [],
): Dockerode.ContainerInspectInfo =>
  ({
    HostConfig: { NetworkMode: 'n1', Memory: 64 << 20, NanoCpus: 1e8, ...hostConfig },
    Mounts: mounts,
  }) as unknown as Dockerode.ContainerInspectInfo

test('a container as the compute agent makes it has nothing to report', () => {
  assert.deepEqual(hardeningProblems(inspect({ Privileged: false, CapAdd: [] })), [])
})

test('privilege, capabilities, host mounts, host namespaces and missing limits are each named', () => {
  assert.deepEqual(
    hardeningProblems(
      inspect(
        {
          Privileged: true,
          CapAdd: ['NET_ADMIN'],
          NetworkMode: 'host',
          PidMode: 'host',
          IpcMode: 'host',
          Memory: 0,
          NanoCpus: 0,
        },
        [{ Type: 'bind' }],
      ),
    ),
    [
      'privileged',
      'capabilities added: NET_ADMIN',
      'a host path is mounted',
      "the host's network namespace",
      "the host's PID namespace",
      "the host's IPC namespace",
      'no memory limit',
      'no CPU limit',
    ],
  )
})
