// The cursor and presence colours: the one list. The editor draws names and cursors with them;
// the server (src/room/presence.rs includes this file) relays only awareness whose colour is one
// of them. Twelve colours, each with at least 4.5:1 contrast with white label text, ordered so
// that each is as far as possible (CIELAB) from those before it: the first n are distinct for n
// people (web/test/presence.test.mjs checks both).
export const COLOURS = ['#1f42aa', '#b3261e', '#034b45', '#0000ff', '#cc0099', '#007700', '#886600', '#885577', '#9933dd', '#2277aa', '#8a1538', '#667744']
