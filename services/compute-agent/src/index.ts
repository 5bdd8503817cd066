export { startComputeHost, type ComputeHost, type ComputeHostOptions } from './compute-host.js'
export { startComputeAgent, type ComputeAgent } from './agent.js'
export { serveComputeAgent, ComputeAgentConfig } from './main.js'
