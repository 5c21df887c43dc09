// Names of the shared types and keys in a plan's Y.Doc: the browser's counterpart of
// `src/document/layout.rs`, fixed by DESIGN.md ("The live document"). No other module of the
// editor spells a Y.Doc name or key; they import it from here (test/layout.test.mjs compares
// these names with layout.rs).
//
// The tiltak table's own fields are not named here (nor anywhere in the editor): they come from
// the template's schema in the page data (`tiltak_schema`).

import * as Y from 'yjs'

/** Y.Map with the plan's metadata. */
export const META = 'meta'
/** Y.Array of Y.Map, one per tiltak row. */
export const TILTAK = 'tiltak'
/** Y.Array of Y.Map, one per milestone. */
export const MILESTONES = 'milestones'
/** Y.Map from `<section id>/<item id>` to bool. */
export const CHECKLIST = 'checklist'
/** Y.Array of Y.Map `{id, name}`: the plan's own target groups. */
export const TARGET_GROUPS = 'target_groups'
/** Y.Array of Y.Map `{id, title, description, strategi}`: the plan's own goals. */
export const MAL = 'mal'
/** Y.Map from section id to Y.Map `{heading, in_use}`: the plan's overrides of its sections. */
export const STRUCTURE = 'structure'
/** Y.Array of Y.Map `{id, parent, heading, kind}`: sections the plan added to its template's. */
export const LOCAL_SECTIONS = 'local_sections'
/** Y.Array of Y.Map `{id, section, label, group, year}`: the plan's own checklist items. */
export const CHECKLIST_ITEMS = 'checklist_items'
/** Y.Array of Y.Map `{id, section, indikator, kilde, ar, verdi, oslo, mal}`: key figures. */
export const FIGURES = 'figures'
/** Prefix of the root names of prose sections (Y.XmlFragment). */
export const SECTION_PREFIX = 'section:'

/** Keys of the `meta` map. */
export const MetaKey = Object.freeze({
  TITLE: 'title',
  BYDEL: 'bydel',
  PERIODE: 'periode',
  /** "id@version" of the template the plan was created from. */
  TEMPLATE: 'template',
  STATUS: 'status'
})

/** Keys of a tiltak row map besides the template's fields. */
export const RowKey = Object.freeze({
  /** Stable UUID of the row. */
  ID: 'id',
  /** Section id the row belongs to (a target group's tiltak section), when not the default. */
  SECTION: 'section',
  /** Section ids (an array of strings) of all the target groups' tiltak sections the row is in. */
  SECTIONS: 'sections'
})

/** Keys of a milestone map. */
export const MilestoneKey = Object.freeze({
  ID: 'id',
  TITLE: 'title',
  DATE: 'date',
  RESPONSIBLE: 'responsible',
  DONE: 'done'
})

/** Keys of a target-group map. */
export const TargetGroupKey = Object.freeze({
  ID: 'id',
  NAME: 'name'
})

/** Keys of a plan goal map (`mal`). */
export const GoalKey = Object.freeze({
  ID: 'id',
  TITLE: 'title',
  DESCRIPTION: 'description',
  /** Array of option values of the tiltak schema's `strategy_field`. */
  STRATEGI: 'strategi'
})

/** Keys of a section's override map in `structure` (absent = the template's wording, in use). */
export const StructureKey = Object.freeze({
  HEADING: 'heading',
  /** bool: false folds the section away («ikke i bruk»). */
  IN_USE: 'in_use'
})

/** Keys of a plan-local section map (`local_sections`). */
export const LocalSectionKey = Object.freeze({
  ID: 'id',
  /** Section id of the parent; "" at top level. */
  PARENT: 'parent',
  HEADING: 'heading',
  /** `prose` or `appendix` (see LocalSectionKind). */
  KIND: 'kind'
})

/** The kinds a plan-local section may have. */
export const LocalSectionKind = Object.freeze({ PROSE: 'prose', APPENDIX: 'appendix' })

/** Keys of a plan-local checklist item map (`checklist_items`). */
export const ChecklistItemKey = Object.freeze({
  ID: 'id',
  SECTION: 'section',
  LABEL: 'label',
  GROUP: 'group',
  YEAR: 'year'
})

/** Keys of a key-figure map (`figures`). */
export const FigureKey = Object.freeze({
  ID: 'id',
  SECTION: 'section',
  INDIKATOR: 'indikator',
  KILDE: 'kilde',
  AR: 'ar',
  VERDI: 'verdi',
  OSLO: 'oslo',
  MAL: 'mal'
})

/** Node names of prose sections, as y-prosemirror stores the ProseMirror schema. */
export const NodeName = Object.freeze({
  PARAGRAPH: 'paragraph',
  HEADING: 'heading',
  BULLET_LIST: 'bullet_list',
  ORDERED_LIST: 'ordered_list',
  LIST_ITEM: 'list_item',
  BLOCKQUOTE: 'blockquote',
  HARD_BREAK: 'hard_break',
  TABLE: 'table',
  TABLE_ROW: 'table_row',
  TABLE_CELL: 'table_cell',
  TABLE_HEADER: 'table_header'
})

/** Attributes of prose nodes. */
export const NodeAttr = Object.freeze({
  /** Attribute of `heading` (3, 4 or 5). */
  LEVEL: 'level',
  /** Attribute of `ordered_list`: its first number (prosemirror-schema-list). */
  ORDER: 'order'
})

/** Text marks: formatting attributes of Y.XmlText, valued with the mark's attrs object. */
export const MarkName = Object.freeze({
  BOLD: 'bold',
  ITALIC: 'italic',
  LINK: 'link'
})

/** Attributes of marks. */
export const MarkAttr = Object.freeze({
  /** Key of the link target inside the `link` attribute's object. */
  HREF: 'href'
})

/** Root name of a prose section's Y.XmlFragment: `section:<section id>`. */
export function sectionFragment (sectionId) {
  return `${SECTION_PREFIX}${sectionId}`
}

/** Key of a checklist item in the `checklist` map: `<section id>/<item id>`. */
export function checklistKey (sectionId, itemId) {
  return `${sectionId}/${itemId}`
}

/**
 * Section id of a target group's sub-section, `<part id>.<group id>.<sub-section id>`: the
 * name of its fragment (through `sectionFragment`) and the `section` of its tiltak rows. The
 * server spells it in `TargetGroupsSpec::instance_section_id` (src/templates/model.rs).
 */
export function targetGroupSectionId (partId, groupId, subsectionId) {
  return `${partId}.${groupId}.${subsectionId}`
}

/**
 * Id of a plan-local section: `<parent>.lokal-<8 hex>`, or `lokal-<8 hex>` at top level
 * (`hex8` is eight lowercase hex digits). The dotted path keeps "the id says where it lives".
 */
export function localSectionId (parentId, hex8) {
  return parentId ? `${parentId}.lokal-${hex8}` : `lokal-${hex8}`
}

/** Whether `id` is a plan-local section's id (as `localSectionId` builds them). */
export function isLocalSectionId (id) {
  return /(^|\.)lokal-[0-9a-f]{8}$/.test(id)
}

/** The plan's shared types, each as the kind DESIGN.md gives it. */
export const shared = Object.freeze({
  meta: (doc) => doc.getMap(META),
  tiltak: (doc) => doc.getArray(TILTAK),
  milestones: (doc) => doc.getArray(MILESTONES),
  checklist: (doc) => doc.getMap(CHECKLIST),
  targetGroups: (doc) => doc.getArray(TARGET_GROUPS),
  goals: (doc) => doc.getArray(MAL),
  structure: (doc) => doc.getMap(STRUCTURE),
  localSections: (doc) => doc.getArray(LOCAL_SECTIONS),
  checklistItems: (doc) => doc.getArray(CHECKLIST_ITEMS),
  figures: (doc) => doc.getArray(FIGURES),
  section: (doc, sectionId) => doc.getXmlFragment(sectionFragment(sectionId))
})

/**
 * A map value as text, whatever a client stored: a string, a Y.Text, a number, a bool.
 * Missing, null and nested maps/arrays read as "" (they are not text), as the server reads them.
 */
export function valueText (value) {
  if (value == null) return ''
  if (value instanceof Y.XmlText) return value.toDelta().map((d) => (typeof d.insert === 'string' ? d.insert : '')).join('')
  if (value instanceof Y.Text) return value.toString()
  if (value instanceof Y.AbstractType) return ''
  if (typeof value === 'object') return ''
  return String(value)
}

/** `map[key]` as text (see `valueText`). */
export function mapText (map, key) {
  return valueText(map.get(key))
}

/** `map[key]` as a bool: only `true` (or the string "true") counts as set. */
export function mapBool (map, key) {
  const value = map.get(key)
  return value === true || value === 'true'
}

/**
 * A list value as an array of strings: a plain array (its strings), a Y.Array, or a single
 * non-empty string as a one-element list (plans written before the field was a list).
 */
export function valueList (value) {
  if (value instanceof Y.Array) value = value.toArray()
  if (Array.isArray(value)) return value.filter((v) => typeof v === 'string' && v !== '')
  const text = valueText(value)
  return text === '' ? [] : [text]
}

/** `map[key]` as a list of strings (see `valueList`). */
export function mapList (map, key) {
  return valueList(map.get(key))
}
