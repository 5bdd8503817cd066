/**
 * Every token-checking service in-process, each verifying with the given verifier (the real
 * remote one in the token matrix) and logging to the given logger: central network, a region's
 * network (its calls to central through `inject`), image and container.
 */
import type { App, Logger, TokenVerifier } from '@tricircle/core'
import { createApp as containerApp } from '../../services/container/src/app.js'
import { startTestContainerService } from '../../services/container/src/testing.js'
import { createApp as imageApp } from '../../services/image/src/app.js'
import { startTestImage } from '../../services/image/src/testing.js'
import { createApp as networkApp } from '../../services/network/src/app.js'
import { createLocalApp } from '../../services/network/src/local/app.js'
import { startTestNetwork } from '../../services/network/src/testing.js'
import { injectedRegionDeps } from '../support/injected-region.js'
import { keystoneFault, neutronFault, zunFault } from './matrix.js'

export interface Target {
  name: string
  app: App
  /** A read any project member may make: 200 for a valid token. */
  probe: { url: string; headers?: Record<string, string> }
  fault(body: unknown, status: number): void
}

export async function startServices(verifier: TokenVerifier, log: Logger) {
  const network = await startTestNetwork()
  const central = networkApp({ ...network.deps, verifier, log })
  const image = await startTestImage()
  const container = await startTestContainerService()
  const local = await injectedRegionDeps({ central, verifier, log, clock: network.deps.clock })
  const region = createLocalApp(local)
  const targets: Target[] = [
    {
      name: 'central network',
      app: central,
      probe: { url: '/v2.0/networks' },
      fault: neutronFault,
    },
    {
      name: 'regional network',
      app: region,
      probe: { url: '/v2.0/networks' },
      fault: neutronFault,
    },
    {
      name: 'image',
      app: imageApp({ ...image.deps, verifier, log }),
      probe: { url: '/v2/images' },
      fault: keystoneFault,
    },
    {
      name: 'container',
      app: containerApp({ ...container.deps, verifier, log }),
      probe: { url: '/v1/containers', headers: { 'openstack-api-version': 'container 1.40' } },
      fault: zunFault,
    },
  ]
  return {
    targets,
    close: async () => {
      for (const t of targets) await t.app.close()
      await local.close()
      await network.close()
      await image.close()
      await container.close()
    },
  }
}
