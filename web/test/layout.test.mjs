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
  const top = ['META', 'TILTAK', 'MILESTONES', 'CHECKLIST', 'TARGET_GROUPS', 'MAL', 'STRUCTURE',
    'LOCAL_SECTIONS', 'CHECKLIST_ITEMS', 'FIGURES', 'SECTION_PREFIX']
  assert.deepEqual(Object.fromEntries(top.map((name) => [name, layout[name]])),
    Object.fromEntries(top.map((name) => [name, rust[''][name]])))
  const mirrors = [
    ['meta', layout.MetaKey],
    ['row', layout.RowKey],
    ['milestone', layout.MilestoneKey],
    ['target_group', layout.TargetGroupKey],
    ['goal', layout.GoalKey],
    ['structure', layout.StructureKey],
    ['local_section', layout.LocalSectionKey],
    ['checklist_item', layout.ChecklistItemKey],
    ['figure', layout.FigureKey],
    ['node', { ...layout.NodeName, ...layout.NodeAttr }],
    ['mark', { ...layout.MarkName, ...layout.MarkAttr }]
  ]
  for (const [mod, names] of mirrors) {
    assert.ok(rust[mod], `layout.rs has mod ${mod}`)
    for (const [name, value] of Object.entries(names)) {
      assert.equal(value, rust[mod][name], `${mod}::${name}`)
    }
  }
  // A local section's id: `<parent>.` + layout.rs's prefix + 8 hex digits.
  assert.equal(layout.localSectionId('p', '0123abcd'), `p.${rust.local_section.ID_PREFIX}0123abcd`)
})

test('plan-local section ids', () => {
  assert.equal(layout.localSectionId('hvor-star-vi', '0a1b2c3d'), 'hvor-star-vi.lokal-0a1b2c3d')
  assert.equal(layout.localSectionId('', '0a1b2c3d'), 'lokal-0a1b2c3d')
  assert.ok(layout.isLocalSectionId('hvor-star-vi.lokal-0a1b2c3d'))
  assert.ok(layout.isLocalSectionId('lokal-0a1b2c3d'))
  for (const not of ['hvor-star-vi', 'hvor-star-vi.lokal-0A1B2C3D', 'x.lokal-123', 'x.lokal-0a1b2c3d.y', 'xlokal-0a1b2c3d']) {
    assert.equal(layout.isLocalSectionId(not), false, not)
  }
})

test('list values read as arrays of strings; a single string is a one-element list', () => {
  const doc = new Y.Doc()
  const row = new Y.Map()
  layout.shared.tiltak(doc).push([row])
  row.set('liste', ['NAV', '', 'Utekontakten', 3])
  row.set('en', 'NAV')
  row.set('tom', '')
  row.set('tekst', new Y.Text('Skolene'))
  assert.deepEqual(layout.mapList(row, 'liste'), ['NAV', 'Utekontakten'])
  assert.deepEqual(layout.mapList(row, 'en'), ['NAV'])
  assert.deepEqual(layout.mapList(row, 'tom'), [])
  assert.deepEqual(layout.mapList(row, 'mangler'), [])
  assert.deepEqual(layout.mapList(row, 'tekst'), ['Skolene'])
  // Stored as a plain JSON array, as the server reads it (Any::Array), not as a Y.Array.
  assert.ok(Array.isArray(row.toJSON().liste))
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
  assert.ok(layout.shared.goals(doc) instanceof Y.Array)
  assert.ok(layout.shared.structure(doc) instanceof Y.Map)
  assert.ok(layout.shared.localSections(doc) instanceof Y.Array)
  assert.ok(layout.shared.checklistItems(doc) instanceof Y.Array)
  assert.ok(layout.shared.figures(doc) instanceof Y.Array)
  assert.ok(layout.shared.section(doc, 'innledning') instanceof Y.XmlFragment)
  assert.deepEqual([...doc.share.keys()].sort(),
    ['checklist', 'checklist_items', 'figures', 'local_sections', 'mal', 'meta', 'milestones',
      'section:innledning', 'structure', 'target_groups', 'tiltak'])
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
