//! Presence (y-protocols awareness) of one room, kept by the room rather than by yrs'
//! `Awareness`, because the room must know whose each state is.
//!
//! A client id belongs to the connection that first set a state for it; only that connection
//! may change or remove it (the same person reconnecting may take it over). A connection holds
//! at most [`CLIENTS_PER_CONNECTION`] ids, a state is at most [`STATE_BYTES`] and its `user`'s
//! name and colour are checked ([`valid_state`]). Removed states are relayed once and then
//! forgotten, so made-up removals, and the ids of connections that left, cost nothing.

use std::collections::HashMap;
use std::sync::Arc;

use yrs::block::ClientID;
use yrs::sync::AwarenessUpdate;
use yrs::sync::awareness::AwarenessUpdateEntry;

use super::ConnId;

/// The editor's palette (`web/src/colours.js`), the one definition of the colours.
const PALETTE: &str = include_str!("../../web/src/colours.js");

/// Awareness client ids one connection may hold: its own, and a few for a client that changes
/// its id without reconnecting.
pub const CLIENTS_PER_CONNECTION: usize = 3;
/// Largest awareness state (JSON) accepted. The editor's is about 300 bytes.
pub const STATE_BYTES: usize = 4 * 1024;
/// Most states of other nodes' clients kept.
const REMOTE_STATES: usize = 10_000;
/// Most bytes of states sent to a joining connection at once.
const JOINER_BYTES: usize = 512 * 1024;
/// Longest name or unit shown (the editor cuts at 80 characters).
const NAME_CHARS: usize = 80;

/// Whether a colour is one of the editor's palette.
pub fn valid_colour(colour: &str) -> bool {
    colour.len() == 7
        && colour.starts_with('#')
        && colour[1..].bytes().all(|b| b.is_ascii_hexdigit())
        && PALETTE
            .match_indices(colour)
            .any(|(at, _)| PALETTE[..at].ends_with('\'') && PALETTE[at + 7..].starts_with('\''))
}

fn valid_label(value: &serde_json::Value, required: bool) -> bool {
    match value {
        serde_json::Value::String(s) => {
            let chars = s.chars().count();
            (!required || !s.trim().is_empty())
                && chars <= NAME_CHARS
                && !s.chars().any(char::is_control)
        }
        serde_json::Value::Null => !required,
        _ => false,
    }
}

/// Whether an awareness state from a client may be stored and relayed: `null` (a removal), or a
/// JSON object of at most [`STATE_BYTES`] whose `user` (if any) has a name and unit of at most
/// 80 characters without control characters and a colour from the palette, and whose `section`
/// (if any) is a short string.
pub fn valid_state(json: &str) -> bool {
    if json == "null" {
        return true;
    }
    if json.len() > STATE_BYTES {
        return false;
    }
    let Ok(serde_json::Value::Object(state)) = serde_json::from_str::<serde_json::Value>(json)
    else {
        return false;
    };
    if let Some(user) = state.get("user") {
        let serde_json::Value::Object(user) = user else {
            return false;
        };
        let name_ok = user.get("name").is_none_or(|n| valid_label(n, true));
        let unit_ok = user.get("unit").is_none_or(|u| valid_label(u, false));
        let colour_ok = user
            .get("color")
            .is_none_or(|c| c.as_str().is_some_and(valid_colour));
        if !(name_ok && unit_ok && colour_ok) {
            return false;
        }
    }
    state.get("section").is_none_or(|s| match s {
        serde_json::Value::String(s) => s.len() <= 200,
        serde_json::Value::Null => true,
        _ => false,
    })
}

/// One client's state. `json: None` is a removal not yet relayed.
struct State {
    clock: u32,
    json: Option<Arc<str>>,
    /// `None`: a client of another server node.
    owner: Option<ConnId>,
    /// Milliseconds since the epoch of the last change, to expire other nodes' clients.
    updated: u64,
}

#[derive(Default)]
pub(super) struct Presence {
    states: HashMap<ClientID, State>,
    /// The client ids each connection holds.
    owned: HashMap<ConnId, Vec<ClientID>>,
}

/// What applying a connection's awareness did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Applied {
    pub changed: Vec<ClientID>,
    pub refused: usize,
}

impl Presence {
    /// Applies a connection's awareness update (its states already checked by
    /// [`valid_state`]). `same_person(other)` tells whether another connection is the same
    /// person, who may take over their client id (a reconnect the server has not noticed yet).
    pub(super) fn apply_local(
        &mut self,
        conn: ConnId,
        update: AwarenessUpdate,
        same_person: impl Fn(ConnId) -> bool,
        now: u64,
    ) -> Applied {
        let mut applied = Applied::default();
        for (client, AwarenessUpdateEntry { clock, json }) in update.clients {
            let removal = json.as_ref() == "null";
            let holds = self.owned.get(&conn).is_some_and(|c| c.contains(&client));
            let room_for_one = self
                .owned
                .get(&conn)
                .is_none_or(|c| c.len() < CLIENTS_PER_CONNECTION);
            let allowed = match self.states.get(&client) {
                _ if holds => true,
                Some(State {
                    owner: Some(other),
                    clock: current,
                    ..
                }) => room_for_one && *other != conn && clock > *current && same_person(*other),
                Some(State { owner: None, .. }) => false,
                // A removal of an id nobody holds is not kept.
                None => !removal && room_for_one && self.owner_of(client).is_none(),
            };
            if !allowed {
                applied.refused += 1;
                continue;
            }
            if !holds {
                if let Some(other) = self.owner_of(client)
                    && let Some(ids) = self.owned.get_mut(&other)
                {
                    ids.retain(|c| *c != client);
                }
                self.owned.entry(conn).or_default().push(client);
            }
            let newer = match self.states.get(&client) {
                None => true,
                Some(s) => clock > s.clock || (clock == s.clock && removal && s.json.is_some()),
            };
            if newer {
                self.states.insert(
                    client,
                    State {
                        clock,
                        json: (!removal).then_some(json),
                        owner: Some(conn),
                        updated: now,
                    },
                );
                applied.changed.push(client);
            }
        }
        applied
    }

    fn owner_of(&self, client: ClientID) -> Option<ConnId> {
        self.owned
            .iter()
            .find(|(_, ids)| ids.contains(&client))
            .map(|(conn, _)| *conn)
    }

    /// Applies another node's awareness; ids held by this node's connections are left alone.
    pub(super) fn apply_remote(&mut self, update: AwarenessUpdate, now: u64) -> Vec<ClientID> {
        let mut changed = Vec::new();
        let mut remote = self.states.values().filter(|s| s.owner.is_none()).count();
        for (client, AwarenessUpdateEntry { clock, json }) in update.clients {
            let removal = json.as_ref() == "null";
            if self.owner_of(client).is_some() || !valid_state(&json) {
                continue;
            }
            let newer = match self.states.get(&client) {
                None => !removal && remote < REMOTE_STATES,
                Some(s) => clock > s.clock || (clock == s.clock && removal && s.json.is_some()),
            };
            if newer {
                if !self.states.contains_key(&client) {
                    remote += 1;
                }
                self.states.insert(
                    client,
                    State {
                        clock,
                        json: (!removal).then_some(json),
                        owner: None,
                        updated: now,
                    },
                );
                changed.push(client);
            }
        }
        changed
    }

    /// A connection left: its states are removed (relayed as removals by the next
    /// [`Self::encode`]).
    pub(super) fn remove_conn(&mut self, conn: ConnId) -> Vec<ClientID> {
        let ids = self.owned.remove(&conn).unwrap_or_default();
        ids.into_iter().filter(|id| self.remove(*id)).collect()
    }

    fn remove(&mut self, client: ClientID) -> bool {
        match self.states.get_mut(&client) {
            Some(state) if state.json.is_some() => {
                state.json = None;
                state.clock = state.clock.saturating_add(1);
                true
            }
            _ => false,
        }
    }

    /// Removes other nodes' states nobody renewed within `timeout_ms`: their node went away.
    pub(super) fn expire_remote(&mut self, now: u64, timeout_ms: u64) -> Vec<ClientID> {
        let stale: Vec<ClientID> = self
            .states
            .iter()
            .filter(|(_, s)| {
                s.owner.is_none() && s.json.is_some() && now.saturating_sub(s.updated) > timeout_ms
            })
            .map(|(client, _)| *client)
            .collect();
        stale.into_iter().filter(|c| self.remove(*c)).collect()
    }

    /// The awareness update of these clients (removed ones as `null`).
    pub(super) fn encode(&self, clients: impl IntoIterator<Item = ClientID>) -> AwarenessUpdate {
        let clients = clients
            .into_iter()
            .filter_map(|client| {
                let state = self.states.get(&client)?;
                let json = state.json.clone().unwrap_or_else(|| Arc::from("null"));
                Some((
                    client,
                    AwarenessUpdateEntry {
                        clock: state.clock,
                        json,
                    },
                ))
            })
            .collect();
        AwarenessUpdate { clients }
    }

    /// Forgets removed states once they have been relayed.
    pub(super) fn purge_removed(&mut self) {
        self.states.retain(|_, s| s.json.is_some());
    }

    /// Everyone's current states for a joining connection, at most [`JOINER_BYTES`] of them.
    pub(super) fn current(&self) -> AwarenessUpdate {
        let mut bytes = 0;
        let clients = self
            .states
            .iter()
            .filter_map(|(client, s)| Some((*client, s.clock, s.json.clone()?)))
            .take_while(|(_, _, json)| {
                bytes += json.len();
                bytes <= JOINER_BYTES
            })
            .map(|(client, clock, json)| (client, AwarenessUpdateEntry { clock, json }))
            .collect();
        AwarenessUpdate { clients }
    }

    /// Number of states kept (removed ones included until they are relayed).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.states.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(entries: &[(u64, u32, &str)]) -> AwarenessUpdate {
        AwarenessUpdate {
            clients: entries
                .iter()
                .map(|(c, clock, json)| {
                    (
                        ClientID::new(*c),
                        AwarenessUpdateEntry {
                            clock: *clock,
                            json: Arc::from(*json),
                        },
                    )
                })
                .collect(),
        }
    }

    const KARI: &str = r##"{"user":{"name":"Kari","unit":"NAV","color":"#1f42aa"}}"##;

    #[test]
    fn the_palette_is_the_editors() {
        assert!(valid_colour("#1f42aa"));
        assert!(valid_colour("#8a1538"));
        assert!(!valid_colour("#1f42a"));
        assert!(!valid_colour("#000000"));
        assert!(!valid_colour("red"));
        assert_eq!(PALETTE.matches("'#").count(), 12);
    }

    #[test]
    fn states_are_checked() {
        assert!(valid_state(KARI));
        assert!(valid_state("null"));
        assert!(valid_state(r#"{"user":{"name":"rådgiver"}}"#));
        assert!(valid_state(
            r#"{"section":"hvor-star-vi","cursor":{"anchor":1}}"#
        ));
        for bad in [
            r#"{"user":{"name":"Kari","color":"red;background:url(x)"}}"#,
            r##"{"user":{"name":"","color":"#1f42aa"}}"##,
            r#"{"user":{"name":"Ka\u0000ri"}}"#,
            r#"{"user":"Kari"}"#,
            r#"[1,2]"#,
            r#"{"section":7}"#,
            "ikke json",
        ] {
            assert!(!valid_state(bad), "{bad}");
        }
        let long = format!(r#"{{"user":{{"name":"{}"}}}}"#, "x".repeat(81));
        assert!(!valid_state(&long));
        let huge = format!(r#"{{"pad":"{}"}}"#, "x".repeat(STATE_BYTES));
        assert!(!valid_state(&huge));
    }

    #[test]
    fn a_connection_changes_only_its_own_clients() {
        let mut p = Presence::default();
        let nobody = |_| false;
        let a = p.apply_local(1, update(&[(10, 1, KARI)]), nobody, 0);
        assert_eq!(a.changed, vec![ClientID::new(10)]);
        // Another connection may neither overwrite (higher clock) nor remove it.
        let b = p.apply_local(
            2,
            update(&[(10, 9, r#"{"user":{"name":"Falsk"}}"#)]),
            nobody,
            0,
        );
        assert_eq!(
            b,
            Applied {
                changed: vec![],
                refused: 1
            }
        );
        let b = p.apply_local(2, update(&[(10, 9, "null")]), nobody, 0);
        assert_eq!(b.refused, 1);
        assert!(
            p.current().clients[&ClientID::new(10)]
                .json
                .contains("Kari")
        );
        // The same person reconnecting takes it over with a newer clock.
        let c = p.apply_local(3, update(&[(10, 2, KARI)]), |other| other == 1, 0);
        assert_eq!(c.changed, vec![ClientID::new(10)]);
        assert!(p.remove_conn(1).is_empty(), "no longer theirs");
        assert_eq!(p.remove_conn(3), vec![ClientID::new(10)]);
    }

    #[test]
    fn clients_per_connection_and_made_up_removals_are_bounded() {
        let mut p = Presence::default();
        let many: Vec<(u64, u32, &str)> = (0..10).map(|c| (c, 1, KARI)).collect();
        let a = p.apply_local(1, update(&many), |_| false, 0);
        assert_eq!(a.changed.len(), CLIENTS_PER_CONNECTION);
        assert_eq!(a.refused, 10 - CLIENTS_PER_CONNECTION);
        let removals: Vec<(u64, u32, &str)> = (100..200).map(|c| (c, 5, "null")).collect();
        let r = p.apply_local(2, update(&removals), |_| false, 0);
        assert_eq!(r.refused, 100);
        assert_eq!(p.len(), CLIENTS_PER_CONNECTION);
        // Leaving removes its states; once relayed they are forgotten.
        let gone = p.remove_conn(1);
        assert_eq!(gone.len(), CLIENTS_PER_CONNECTION);
        assert!(
            p.encode(gone)
                .clients
                .values()
                .all(|e| e.json.as_ref() == "null")
        );
        p.purge_removed();
        assert_eq!(p.len(), 0);
    }

    #[test]
    fn other_nodes_clients_expire_and_never_override_local_ones() {
        let mut p = Presence::default();
        p.apply_local(1, update(&[(10, 1, KARI)]), |_| false, 0);
        assert!(p.apply_remote(update(&[(10, 50, "{}")]), 0).is_empty());
        assert_eq!(p.apply_remote(update(&[(20, 1, KARI)]), 0).len(), 1);
        assert!(p.expire_remote(10_000, 30_000).is_empty());
        assert_eq!(p.expire_remote(40_001, 30_000), vec![ClientID::new(20)]);
    }
}
