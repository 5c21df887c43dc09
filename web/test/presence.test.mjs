// Presence colours: one palette (web/src/colours.js) for the editor and the server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { COLOURS } from '../src/colours.js'
import { safeColour, pickColour, mustChangeColour } from '../src/presence.js'
import { statusText, accessOf } from '../src/connection.js'

test('colours announced by others are used only when they are in the palette', () => {
  assert.ok(COLOURS.length >= 12, `${COLOURS.length} colours`)
  for (const colour of COLOURS) assert.equal(safeColour(colour), colour)
  for (const bad of ['red', '#000000', 'red;background:url(https://evil.example/)', undefined, null, 7]) {
    assert.equal(safeColour(bad), COLOURS[0])
  }
})

test('the server reads the same palette file', () => {
  const rust = readFileSync(new URL('../../src/room/presence.rs', import.meta.url), 'utf8')
  assert.match(rust, /include_str!\("\.\.\/\.\.\/web\/src\/colours\.js"\)/)
})

// WCAG relative luminance and contrast; CIELAB (D65) for how far apart two colours look.
const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4 }
const rgb = (hex) => [1, 3, 5].map((i) => channel(parseInt(hex.slice(i, i + 2), 16)))
const luminance = (hex) => { const [r, g, b] = rgb(hex); return 0.2126 * r + 0.7152 * g + 0.0722 * b }
const lab = (hex) => {
  const [r, g, b] = rgb(hex)
  const f = (t) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116)
  const x = f((r * 0.4124 + g * 0.3576 + b * 0.1805) / 0.95047)
  const y = f(r * 0.2126 + g * 0.7152 + b * 0.0722)
  const z = f((r * 0.0193 + g * 0.1192 + b * 0.9505) / 1.08883)
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)]
}

test('every colour has at least 4.5:1 contrast with white label text, and all twelve look different', () => {
  assert.equal(new Set(COLOURS).size, COLOURS.length)
  for (const colour of COLOURS) {
    assert.match(colour, /^#[0-9a-f]{6}$/)
    const contrast = 1.05 / (luminance(colour) + 0.05)
    assert.ok(contrast >= 4.5, `${colour} has ${contrast.toFixed(2)}:1 against white`)
  }
  for (let i = 0; i < COLOURS.length; i++) {
    for (let j = i + 1; j < COLOURS.length; j++) {
      const [a, b] = [lab(COLOURS[i]), lab(COLOURS[j])]
      const distance = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2])
      assert.ok(distance >= 25, `${COLOURS[i]} and ${COLOURS[j]} are only ${distance.toFixed(1)} apart (CIELAB)`)
    }
  }
})

test('twelve people joining one after another get twelve different colours', () => {
  const taken = new Set()
  for (let person = 0; person < 12; person++) {
    const colour = pickColour(taken, null)
    assert.ok(!taken.has(colour), `person ${person + 1} got ${colour}, already taken`)
    taken.add(colour)
  }
  assert.equal(taken.size, 12)
  // A remembered colour is kept while free, given up when someone else has it.
  assert.equal(pickColour(new Set([COLOURS[0]]), COLOURS[5]), COLOURS[5])
  assert.equal(pickColour(new Set([COLOURS[0], COLOURS[5]]), COLOURS[5]), COLOURS[1])
  assert.equal(pickColour(new Set(), 'red'), COLOURS[0])
  // A thirteenth person shares a colour rather than getting none.
  assert.ok(COLOURS.includes(pickColour(new Set(COLOURS), null)))
})

test('of two people who picked the same colour together, the later client id changes', () => {
  const states = new Map([[5, { user: { color: COLOURS[0] } }], [9, { user: { color: COLOURS[0] } }], [7, { user: { color: COLOURS[1] } }]])
  assert.equal(mustChangeColour(states, 9), true)
  assert.equal(mustChangeColour(states, 5), false)
  assert.equal(mustChangeColour(states, 7), false)
})

test('the status line says what the connection\'s person may do, and when access is gone', () => {
  assert.equal(accessOf({ can_edit: true, can_comment: true }), 'edit')
  assert.equal(accessOf({ can_edit: false, can_comment: true }), 'comment')
  assert.equal(accessOf({ can_edit: false, can_comment: false }), 'read')
  assert.equal(statusText('tilkoblet', 'edit'), 'Tilkoblet – endringer lagres')
  assert.equal(statusText('tilkoblet', 'comment'), 'Tilkoblet – du kan lese og kommentere')
  assert.equal(statusText('lesetilgang', 'comment'), 'Tilkoblet – du kan lese og kommentere')
  assert.equal(statusText('tilkoblet', 'read'), 'Tilkoblet – bare lesetilgang')
  assert.equal(statusText('ingen-tilgang', 'edit'), 'Du har ikke lenger tilgang til denne planen')
})
