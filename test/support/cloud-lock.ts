/**
 * `tricircle up` listens on fixed ports, so the test files that bring a whole cloud up take
 * turns: a lock directory holding the owner's PID, taken over when that process is gone.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

const LOCK = '/tmp/tricircle-test-cloud.lock'

function ownerAlive(): boolean {
  try {
    const pid = Number(readFileSync(`${LOCK}/pid`, 'utf8'))
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Waits for the one-machine cloud's ports to be ours; resolves with the release. */
export async function lockCloudPorts(timeoutMs = 900_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      mkdirSync(LOCK)
      writeFileSync(`${LOCK}/pid`, String(process.pid))
      return () => rmSync(LOCK, { recursive: true, force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    // A holder that died (or has not written its PID for a while) no longer holds it.
    if (!ownerAlive()) {
      await sleep(200)
      if (!ownerAlive()) rmSync(LOCK, { recursive: true, force: true })
    }
    if (Date.now() > deadline) throw new Error(`${LOCK} still held after ${timeoutMs / 1000} s`)
    await sleep(500)
  }
}
