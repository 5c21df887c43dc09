// Presence colours: one palette (web/src/colours.js) for the editor and the server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { COLOURS } from '../src/colours.js'
import { safeColour } from '../src/presence.js'

test('colours announced by others are used only when they are in the palette', () => {
  assert.equal(COLOURS.length, 10)
  for (const colour of COLOURS) assert.equal(safeColour(colour), colour)
  for (const bad of ['red', '#000000', 'red;background:url(https://evil.example/)', undefined, null, 7]) {
    assert.equal(safeColour(bad), COLOURS[0])
  }
})

test('the server reads the same palette file', () => {
  const rust = readFileSync(new URL('../../src/room/presence.rs', import.meta.url), 'utf8')
  assert.match(rust, /include_str!\("\.\.\/\.\.\/web\/src\/colours\.js"\)/)
})
