// The Y.Doc contract on the browser's side: layout.js names what src/document/layout.rs names,
// the prose schema uses those names, and no other module spells a Y.Doc name itself.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import * as Y from 'yjs'
import * as layout from '../src/layout.js'
import { schema } from '../src/schema.js'

const src = new URL('../src/', import.meta.url)

/** The string constants of layout.rs: `{ '': top level, meta: {...}, node: {...}, … }`. */
function rustNames () {
  const text = readFileSync(new URL('../../src/document/layout.rs', import.meta.url), 'utf8')
  const scopes = { '': {} }
  let scope = ''
  for (const line of text.split('\n')) {
    const mod = /^pub mod ([a-z_]+) \{/.exec(line)
    if (mod) { scope = mod[1]; scopes[scope] = {}; continue }
    if (line === '}') { scope = ''; continue }
    const constant = /^\s*pub const ([A-Z_]+): &str = "([^"]*)";/.exec(line)
    if (constant) scopes[scope][constant[1]] = constant[2]
  }
  return scopes
}

test('layout.js names what layout.rs names, with the same values', () => {
  const rust = rustNames()
  const top = ['META', 'TILTAK', 'MILESTONES', 'CHECKLIST', 'TARGET_GROUPS', 'SECTION_PREFIX']
  assert.deepEqual(Object.fromEntries(top.map((name) => [name, layout[name]])),
    Object.fromEntries(top.map((name) => [name, rust[''][name]])))
  const mirrors = [
    ['meta', layout.MetaKey],
    ['row', layout.RowKey],
    ['milestone', layout.MilestoneKey],
    ['target_group', layout.TargetGroupKey],
    ['node', { ...layout.NodeName, ...layout.NodeAttr }],
    ['mark', { ...layout.MarkName, ...layout.MarkAttr }]
  ]
  for (const [mod, names] of mirrors) {
    assert.ok(rust[mod], `layout.rs has mod ${mod}`)
    for (const [name, value] of Object.entries(names)) {
      assert.equal(value, rust[mod][name], `${mod}::${name}`)
    }
  }
})

test('names built from ids', () => {
  assert.equal(layout.sectionFragment('hvor-star-vi.russituasjon'), 'section:hvor-star-vi.russituasjon')
  assert.equal(layout.checklistKey('hvor-star-vi.nokkeltall', 'fhi'), 'hvor-star-vi.nokkeltall/fhi')
  assert.equal(layout.targetGroupSectionId('malgrupper', 'barn-og-unge', 'tiltak'), 'malgrupper.barn-og-unge.tiltak')
})

test('each shared type has its kind, under its name', () => {
  const doc = new Y.Doc()
  assert.ok(layout.shared.meta(doc) instanceof Y.Map)
  assert.ok(layout.shared.tiltak(doc) instanceof Y.Array)
  assert.ok(layout.shared.milestones(doc) instanceof Y.Array)
  assert.ok(layout.shared.checklist(doc) instanceof Y.Map)
  assert.ok(layout.shared.targetGroups(doc) instanceof Y.Array)
  assert.ok(layout.shared.section(doc, 'innledning') instanceof Y.XmlFragment)
  assert.deepEqual([...doc.share.keys()].sort(),
    ['checklist', 'meta', 'milestones', 'section:innledning', 'target_groups', 'tiltak'])
})

test('map values read as text and bools as the server reads them', () => {
  const doc = new Y.Doc()
  const row = new Y.Map()
  layout.shared.tiltak(doc).push([row])
  row.set('tiltak', new Y.Text('Rusfritt ungdomshus'))
  row.set('frist', 2026)
  row.set('nested', new Y.Map())
  row.set('object', { a: 1 })
  row.set('done', 'true')
  row.set('ja', true)
  row.set('nei', false)
  assert.equal(layout.mapText(row, 'tiltak'), 'Rusfritt ungdomshus')
  assert.equal(layout.mapText(row, 'frist'), '2026')
  assert.equal(layout.mapText(row, 'nested'), '')
  assert.equal(layout.mapText(row, 'object'), '')
  assert.equal(layout.mapText(row, 'missing'), '')
  assert.equal(layout.valueText(null), '')
  const xml = new Y.XmlText()
  doc.getXmlFragment('x').insert(0, [xml])
  xml.insert(0, 'fet', { bold: {} })
  xml.insert(3, ' tekst')
  assert.equal(layout.valueText(xml), 'fet tekst')
  assert.equal(layout.mapBool(row, 'done'), true)
  assert.equal(layout.mapBool(row, 'ja'), true)
  assert.equal(layout.mapBool(row, 'nei'), false)
  assert.equal(layout.mapBool(row, 'tiltak'), false)
  assert.equal(layout.mapBool(row, 'missing'), false)
})

test('the prose schema has exactly the layout\'s node and mark names', () => {
  const nodes = Object.keys(schema.nodes).filter((n) => n !== 'doc' && n !== 'text')
  assert.deepEqual(nodes.sort(), Object.values(layout.NodeName).sort())
  assert.deepEqual(Object.keys(schema.marks).sort(), Object.values(layout.MarkName).sort())
  assert.deepEqual(Object.keys(schema.marks.link.spec.attrs), [layout.MarkAttr.HREF])
  assert.deepEqual(schema.nodes.heading.spec.attrs, { [layout.NodeAttr.LEVEL]: { default: 3 } })
  assert.ok(layout.NodeAttr.ORDER in schema.nodes.ordered_list.spec.attrs)
})

test('no module but layout.js names a shared type of the Y.Doc', () => {
  const roots = /\.get(Array|Map|XmlFragment|Text|XmlElement)\(|['"`]section:/
  for (const file of readdirSync(src).filter((f) => f.endsWith('.js') && f !== 'layout.js')) {
    const lines = readFileSync(new URL(file, src), 'utf8').split('\n')
    lines.forEach((line, i) => {
      if (line.trim().startsWith('//') || line.trim().startsWith('*')) return
      assert.doesNotMatch(line, roots, `${file}:${i + 1}`)
    })
  }
})
