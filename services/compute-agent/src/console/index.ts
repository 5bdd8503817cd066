export {
  startConsoleServer,
  type ConsoleServer,
  type ConsoleServerOptions,
  type IssuedExec,
} from './console-server.js'
export { ConsoleTokens, type ConsoleTarget, type RedeemResult } from './console-tokens.js'
export { DockerStreamDemuxer } from './docker-stream-demuxer.js'
