#!/usr/bin/env node
// y-websocket compatibility scenario for Samskriv's /collab/<planId> endpoint.
//
// Usage:
//   node tests/yjs-client/scenario.mjs <serverUrl> <planId> [--idle-check]
//
//   serverUrl  base URL the room name is appended to, exactly as for an unmodified
//              `new WebsocketProvider(serverUrl, planId, doc)`, e.g.
//              ws://127.0.0.1:PORT/collab  (Samskriv)  or  ws://127.0.0.1:PORT  (reference server)
//   planId     the room / plan id
//   --idle-check  (optional, adds ~35 s) also check that a lone client is not dropped by
//              y-websocket's 30 s "no message received" watchdog, i.e. that the server sends
//              it something (normally the echo of its own 15 s awareness renewal).
//
//   SAMSKRIV_TOKEN (environment, optional): a service token, sent as y-websocket's `params`
//              option (`?token=…`), as a program without a browser session authenticates.
//
// Exit code 0 and a final `{"ok":true,...}` JSON line on stdout on success; non-zero and a
// `FAIL: ...` message on stderr on any failure. A global timeout makes sure it never hangs.
//
// The clients are stock yjs + y-websocket; the only test instrumentation is a thin subclass of
// the `ws` WebSocket that records the type of every frame received (for diagnostics and for
// the summary), without changing what the provider sees.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

// ---------------------------------------------------------------------------------------------
// Arguments, timeouts, logging
// ---------------------------------------------------------------------------------------------

const args = process.argv.slice(2)
const idleCheck = args.includes('--idle-check')
const [serverUrl, planId] = args.filter((a) => !a.startsWith('--'))
if (!serverUrl || !planId || !/^wss?:\/\//.test(serverUrl)) {
  console.error('usage: node scenario.mjs <ws://host:port/collab> <planId> [--idle-check]')
  process.exit(2)
}

const GLOBAL_TIMEOUT_MS = idleCheck ? 60_000 : 20_000 // the whole script
const STEP_TIMEOUT_MS = 5_000 // any single wait (synced, awareness, convergence)
const IDLE_MS = 35_000 // > y-websocket's messageReconnectTimeout (30 s)

const started = Date.now()
let currentStep = 'start'

const log = (msg) => console.log(`[${String(Date.now() - started).padStart(5)} ms] ${msg}`)

// Every failure path ends here: one clear line on stderr, non-zero exit.
const fail = (msg) => {
  console.error(`FAIL [step ${currentStep}]: ${msg}`)
  process.exit(1)
}

const globalTimer = setTimeout(
  () => fail(`global timeout of ${GLOBAL_TIMEOUT_MS} ms exceeded`),
  GLOBAL_TIMEOUT_MS
)
process.on('unhandledRejection', (e) => fail(`unhandled rejection: ${e?.stack ?? e}`))
process.on('uncaughtException', (e) => fail(`uncaught exception: ${e?.stack ?? e}`))

const step = (name, description) => {
  currentStep = name
  log(`step ${name}: ${description}`)
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Poll `predicate` every 25 ms until it returns truthy; fail with `what` after `timeoutMs`.
const waitUntil = async (what, predicate, timeoutMs = STEP_TIMEOUT_MS) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = predicate()
    if (value) return value
    if (Date.now() > deadline) fail(`timed out after ${timeoutMs} ms waiting for: ${what}`)
    await sleep(25)
  }
}

// ---------------------------------------------------------------------------------------------
// Frame tap: a `ws` WebSocket subclass that records the y-websocket message type of every
// incoming frame. Message types: 0 sync (subtypes 0 step1, 1 step2, 2 update), 1 awareness,
// 2 auth (subtype 0 permission denied + reason), 3 query awareness.
// ---------------------------------------------------------------------------------------------

const readVarUint = (bytes, pos) => {
  let num = 0
  let mult = 1
  for (;;) {
    const b = bytes[pos++]
    if (b === undefined) return [NaN, pos]
    num += (b & 0x7f) * mult
    mult *= 128
    if (b < 0x80) return [num, pos]
  }
}

const frameName = (bytes) => {
  const [type, p1] = readVarUint(bytes, 0)
  if (type === 0) {
    const [sub] = readVarUint(bytes, p1)
    return ['sync-step1', 'sync-step2', 'sync-update'][sub] ?? `sync-?${sub}`
  }
  if (type === 1) {
    // awareness: varUint8Array( count, { clientID, clock, state JSON string }* )
    const [, p2] = readVarUint(bytes, p1) // payload length
    let [count, pos] = readVarUint(bytes, p2)
    const ids = []
    for (; count > 0; count--) {
      let id, len
      ;[id, pos] = readVarUint(bytes, pos)
      ;[, pos] = readVarUint(bytes, pos) // clock
      ;[len, pos] = readVarUint(bytes, pos)
      pos += len // state
      ids.push(id)
    }
    return `awareness(${ids.join(',')})`
  }
  if (type === 2) {
    const [sub, p2] = readVarUint(bytes, p1)
    if (sub === 0) {
      const [len, p3] = readVarUint(bytes, p2)
      return `auth-permission-denied(${Buffer.from(bytes.subarray(p3, p3 + len)).toString('utf8')})`
    }
    return `auth-?${sub}`
  }
  if (type === 3) return 'query-awareness'
  return `unknown-type-${type}`
}

const makeTappedWebSocket = (client) =>
  class TappedWebSocket extends WebSocket {
    constructor (...a) {
      super(...a)
      this.on('message', (data, isBinary) => {
        if (!isBinary) {
          client.received.push('TEXT-FRAME')
          return
        }
        const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        client.received.push(frameName(bytes))
      })
    }
  }

// ---------------------------------------------------------------------------------------------
// Client helpers
// ---------------------------------------------------------------------------------------------

const clients = []

// Create a Y.Doc + WebsocketProvider exactly as an application would, plus bookkeeping.
const createClient = (name) => {
  const client = { name, received: [], closes: [], errors: [] }
  client.doc = new Y.Doc()
  client.provider = new WebsocketProvider(serverUrl, planId, client.doc, {
    params: process.env.SAMSKRIV_TOKEN ? { token: process.env.SAMSKRIV_TOKEN } : {},
    WebSocketPolyfill: makeTappedWebSocket(client),
    connect: true,
    disableBc: true
  })
  client.provider.on('connection-close', (event) => {
    if (event) client.closes.push({ code: event.code, reason: String(event.reason ?? '') })
  })
  client.provider.on('connection-error', (event) => {
    client.errors.push(String(event?.message ?? event?.error?.message ?? event?.type ?? event))
  })
  // 4400-4499 close codes are terminal for y-websocket >= 3.1: it stops reconnecting.
  client.provider.on('closed', ({ code, reason }) => {
    fail(`${name}: server closed the connection permanently: code ${code} reason ${JSON.stringify(reason)}; frames received: ${client.received.join(', ')}`)
  })
  clients.push(client)
  return client
}

const waitSynced = async (client) => {
  const { provider, name } = client
  const deadline = Date.now() + STEP_TIMEOUT_MS
  while (!provider.synced) {
    if (Date.now() > deadline) {
      fail(`${name} did not reach 'synced' within ${STEP_TIMEOUT_MS} ms (url ${provider.url}); ` +
        `connection errors: ${JSON.stringify([...new Set(client.errors)])}; ` +
        `close codes: ${JSON.stringify(client.closes.map((c) => c.code + (c.reason ? ` ${c.reason}` : '')))}; ` +
        `frames received: ${JSON.stringify(client.received)}`)
    }
    await sleep(25)
  }
  log(`${name} synced (url ${provider.url}); frames so far: ${client.received.join(', ')}`)
}

const destroyClient = (client) => {
  client.provider.destroy()
  client.doc.destroy()
}

const TEXT = 'scenario-text'
const MAP = 'scenario-map'
const ARRAY = 'scenario-array'

// The observable content of a doc, as plain JSON.
const snapshot = (doc) => ({
  text: doc.getText(TEXT).toString(),
  map: doc.getMap(MAP).toJSON(),
  array: doc.getArray(ARRAY).toJSON()
})
const snapshotJson = (doc) => {
  const s = snapshot(doc)
  // Map key order depends on insertion order, which differs between peers: sort it.
  s.map = Object.fromEntries(Object.entries(s.map).sort(([a], [b]) => a.localeCompare(b)))
  return JSON.stringify(s)
}
const stateVectorHex = (doc) => Buffer.from(Y.encodeStateVector(doc)).toString('hex')
// State vectors are maps; compare them decoded, independent of entry order.
const stateVectorJson = (doc) =>
  JSON.stringify([...Y.decodeStateVector(Y.encodeStateVector(doc))].sort(([a], [b]) => a - b))

const sameState = (d1, d2) => stateVectorJson(d1) === stateVectorJson(d2) && snapshotJson(d1) === snapshotJson(d2)

const awarenessNames = (client) =>
  [...client.provider.awareness.getStates().values()].map((s) => s?.user?.name).filter(Boolean)

const assert = (cond, msg) => { if (!cond) fail(msg) }

// ---------------------------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------------------------

const main = async () => {
  log(`server ${serverUrl}, plan ${planId}${idleCheck ? ', with idle check' : ''}`)

  // a. Client A connects and waits for 'synced' (= it received the server's sync step 2).
  step('a', 'client A connects')
  const A = createClient('A')
  await waitSynced(A)
  assert(A.received.includes('sync-step2'), `A is synced but never received sync step 2: ${A.received}`)
  // The content checks below assume a new plan: fail clearly if this one was used before.
  assert(snapshotJson(A.doc) === snapshotJson(new Y.Doc()),
    `plan ${planId} is not empty (${snapshotJson(A.doc)}); run the scenario on a newly created plan`)

  // b. A announces itself via awareness and edits all three shared types.
  step('b', 'A sets awareness and edits text/map/array')
  // Colours must come from the editor's palette (web/src/colours.js): the server relays no other.
  const KARI = { name: 'Kari (NAV)', color: '#1f42aa' }
  A.provider.awareness.setLocalState({ user: KARI })
  A.doc.getText(TEXT).insert(0, 'Hei fra A')
  A.doc.getMap(MAP).set('a', 1)
  A.doc.getArray(ARRAY).push(['x'])

  // c. Client B joins the same plan and must see A's content and A's awareness state.
  //    (We poll for the content: y-websocket has no acknowledgement, so A's update may in
  //    principle still be in flight when B's sync runs. `bHadContentAtSync` records whether
  //    it was already part of B's initial sync.)
  step('c', 'client B connects and sees A')
  const B = createClient('B')
  await waitSynced(B)
  const bHadContentAtSync = B.doc.getText(TEXT).toString() === 'Hei fra A'
  await waitUntil("B sees A's text, map and array", () =>
    B.doc.getText(TEXT).toString() === 'Hei fra A' &&
    B.doc.getMap(MAP).get('a') === 1 &&
    JSON.stringify(B.doc.getArray(ARRAY).toJSON()) === '["x"]')
  const kariState = await waitUntil("B sees A's awareness state (user.name 'Kari (NAV)')", () =>
    [...B.provider.awareness.getStates().entries()].find(([, s]) => s?.user?.name === KARI.name))
  assert(kariState[0] === A.doc.clientID, `Kari's awareness state has clientID ${kariState[0]}, expected A's ${A.doc.clientID}`)
  assert(kariState[1].user.color === KARI.color, `Kari's color is ${kariState[1].user.color}`)
  log(`B sees A's content (already at sync: ${bHadContentAtSync}) and awareness ${JSON.stringify(kariState[1])}`)

  // d. Concurrent edits: A and B edit in the same tick, so neither has seen the other's change
  //    (both insert at text position 0 and at the end, set different map keys, push to the
  //    array). Then both docs must converge to the same state through the server.
  step('d', 'A and B edit concurrently, then converge')
  B.provider.awareness.setLocalState({ user: { name: 'Ola (Skatt)', color: '#8a1538' } })
  for (const [c, tag] of [[A, 'A'], [B, 'B']]) {
    const text = c.doc.getText(TEXT)
    c.doc.transact(() => {
      text.insert(0, `[${tag}0]`)
      text.insert(text.length, `[${tag}-end]`)
    })
    c.doc.getMap(MAP).set(`from${tag}`, tag)
    c.doc.getArray(ARRAY).push([`push-${tag}`])
  }
  await waitUntil('A and B converge (state vectors and JSON of text/map/array equal)', () => sameState(A.doc, B.doc))
  const converged = snapshot(B.doc)
  // Equality alone would also hold for two empty docs: check the merged content too.
  for (const piece of ['[A0]', '[B0]', 'Hei fra A', '[A-end]', '[B-end]']) {
    assert(converged.text.includes(piece), `converged text ${JSON.stringify(converged.text)} lacks ${piece}`)
  }
  assert(/^\[[AB]0\]\[[AB]0\]Hei fra A\[[AB]-end\]\[[AB]-end\]$/.test(converged.text),
    `unexpected converged text ${JSON.stringify(converged.text)}`)
  assert(converged.map.a === 1 && converged.map.fromA === 'A' && converged.map.fromB === 'B',
    `unexpected converged map ${JSON.stringify(converged.map)}`)
  assert(converged.array.length === 3 && converged.array[0] === 'x' &&
    converged.array.includes('push-A') && converged.array.includes('push-B'),
  `unexpected converged array ${JSON.stringify(converged.array)}`)
  await waitUntil("A sees B's awareness state", () => awarenessNames(A).includes('Ola (Skatt)'))
  log(`converged: ${snapshotJson(B.doc)}`)

  // e. A leaves (provider.destroy()). B must see A's awareness state disappear.
  //    Note: destroy() itself sends a "state = null" awareness update before closing, so this
  //    checks that the server relays it; step e2 checks the server's own cleanup.
  step('e', 'A disconnects gracefully; B sees its awareness removed')
  const aClientId = A.doc.clientID
  destroyClient(A)
  await waitUntil("A's awareness state to disappear at B", () => !B.provider.awareness.getStates().has(aClientId))
  log("A's awareness is gone at B")

  // e2. Client D joins with an awareness state, then its TCP connection is dropped without a
  //     close frame and without the goodbye awareness update (like a crashed browser tab).
  //     The server must notice and broadcast the removal of D's awareness to B. This happens
  //     within seconds, far below the 30 s after which B's Awareness would expire it itself.
  step('e2', 'client D joins, then drops abruptly; B sees its awareness removed by the server')
  const D = createClient('D')
  D.provider.awareness.setLocalState({ user: { name: 'Dropped (Test)', color: '#034b45' } })
  await waitSynced(D)
  await waitUntil("B sees D's awareness state", () => awarenessNames(B).includes('Dropped (Test)'))
  const dClientId = D.doc.clientID
  D.provider.shouldConnect = false // no reconnect after the drop
  D.provider.ws.terminate() // destroy the socket: no close frame, no awareness goodbye
  const dropAt = Date.now()
  await waitUntil("server to remove D's awareness state at B after D's connection dropped",
    () => !B.provider.awareness.getStates().has(dClientId))
  log(`D's awareness removed at B ${Date.now() - dropAt} ms after the drop`)
  destroyClient(D)

  // f. A brand new client C (new, empty Y.Doc) joins later: right after its sync it must
  //    have exactly B's content.
  step('f', 'fresh client C connects and receives everything')
  const C = createClient('C')
  await waitSynced(C)
  assert(sameState(C.doc, B.doc),
    `C right after sync differs from B:\n  C: ${snapshotJson(C.doc)} sv ${stateVectorHex(C.doc)}\n  B: ${snapshotJson(B.doc)} sv ${stateVectorHex(B.doc)}`)
  await waitUntil("C sees B's awareness state", () => awarenessNames(C).includes('Ola (Skatt)'))
  assert(!awarenessNames(C).includes(KARI.name), "C still sees A's (left) awareness state")
  log('C has the same content as B')

  // g. Everybody leaves. A new client E then opens the (now unused) plan and must still get
  //    everything: the server keeps/persists the document beyond the last connection.
  step('g', 'all disconnect; client E reopens the empty room and receives everything')
  const expected = snapshotJson(B.doc)
  const expectedSv = stateVectorJson(B.doc)
  destroyClient(B)
  destroyClient(C)
  await sleep(300) // let the server process the closes (and unload the doc if it does that)
  const E = createClient('E')
  await waitSynced(E)
  assert(snapshotJson(E.doc) === expected && stateVectorJson(E.doc) === expectedSv,
    `E after reopening differs:\n  E: ${snapshotJson(E.doc)}\n  expected: ${expected}`)
  log('E has the full content after reopening')

  // Optional: a lone client must not be dropped by y-websocket's 30 s watchdog
  // (messageReconnectTimeout): the server has to send it something at least every 30 s.
  let idle = null
  if (idleCheck) {
    step('idle', `E stays alone and idle for ${IDLE_MS / 1000} s without being disconnected`)
    const framesBefore = E.received.length
    const closesBefore = E.closes.length
    let disconnected = false
    E.provider.on('status', ({ status }) => { if (status === 'disconnected') disconnected = true })
    await sleep(IDLE_MS)
    idle = { framesReceived: E.received.slice(framesBefore), disconnected }
    assert(!disconnected && E.closes.length === closesBefore && E.provider.wsconnected,
      `lone idle client was disconnected (frames received while idle: ${JSON.stringify(idle.framesReceived)}); ` +
      'y-websocket closes the connection when it receives no message for 30 s')
  }
  destroyClient(E)

  // Summary. "frames" lists what each client received from the server, in order.
  const summary = {
    ok: true,
    serverUrl,
    planId,
    elapsedMs: Date.now() - started,
    content: JSON.parse(expected),
    stateVector: JSON.parse(expectedSv),
    bHadContentAtSync,
    // Did the server send A's own awareness update back to A? (The reference server does;
    // it keeps a lone client's 30 s watchdog happy. Informational, see --idle-check.)
    awarenessEchoedToSender: A.received.some((f) => f.startsWith('awareness(') && f.slice(10, -1).split(',').includes(String(aClientId))),
    clientIds: Object.fromEntries(clients.map((c) => [c.name, c.doc.clientID])),
    idle,
    frames: Object.fromEntries(clients.map((c) => [c.name, c.received])),
    closes: Object.fromEntries(clients.map((c) => [c.name, c.closes]))
  }
  clearTimeout(globalTimer)
  console.log(JSON.stringify(summary))
  process.exit(0)
}

main().catch((e) => fail(e?.stack ?? String(e)))
