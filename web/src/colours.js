// The cursor and presence colours: the one list. The editor draws names and cursors with them;
// the server (src/room/presence.rs includes this file) relays only awareness whose colour is one
// of them. Each has at least 4.5:1 contrast with white label text.
export const COLOURS = ['#1f42aa', '#8a1538', '#034b45', '#6b3a00', '#5b2a86', '#005a87', '#3d5a00', '#a3005b', '#b3261e', '#2a2859']
