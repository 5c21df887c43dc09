//! Decoding of incoming y-websocket frames, on top of yrs' own `yrs::sync` message types.
//!
//! A frame is decoded whole before anything reaches the room, so a malformed frame is refused
//! without writing anything. y-websocket sends one message per frame; several are accepted.

use yrs::encoding::read::Cursor;
use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::{Decode, Decoder, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{StateVector, Update};

/// WebSocket close codes Samskriv uses, with the reasons sent to the client.
pub mod close {
    /// The server is shutting down or restarting; reconnect.
    pub const GOING_AWAY: u16 = 1001;
    /// A text frame, or a message type the protocol does not have.
    pub const UNSUPPORTED: u16 = 1003;
    /// A frame that does not decode, or an update that does not apply.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// The client did not answer pings in time, or stalled a send.
    pub const POLICY: u16 = 1008;
    /// A frame over the configured size limit.
    pub const TOO_BIG: u16 = 1009;
    /// The server could not store or serve the plan; reconnect to resync.
    pub const INTERNAL: u16 = 1011;
    /// The client fell too far behind the room; reconnect to resync.
    pub const LAGGING: u16 = 4000;
}

/// One decoded message from a client.
#[derive(Debug)]
pub enum Incoming {
    /// Sync step 1: the client's state vector; answered with what it lacks.
    SyncStep1(StateVector),
    /// Sync step 2 or an update: document content to apply, with its original encoding.
    Update {
        raw: Vec<u8>,
        update: Update,
    },
    Awareness(AwarenessUpdate),
    QueryAwareness,
    /// The auth message carries nothing a server acts on; accepted and ignored.
    Auth,
}

/// Why a frame was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("empty frame")]
    Empty,
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("unknown message type {0}")]
    UnknownMessageType(u8),
    #[error("update does not decode: {0}")]
    InvalidUpdate(String),
}

impl ProtocolError {
    /// The close code this error ends the connection with.
    pub fn close_code(&self) -> u16 {
        match self {
            ProtocolError::UnknownMessageType(_) => close::UNSUPPORTED,
            _ => close::INVALID_PAYLOAD,
        }
    }
}

/// Decodes every message of one binary frame, or refuses the whole frame.
pub fn decode_frame(frame: &[u8]) -> Result<Vec<Incoming>, ProtocolError> {
    if frame.is_empty() {
        return Err(ProtocolError::Empty);
    }
    let mut messages = Vec::with_capacity(1);
    let mut rest = frame;
    while !rest.is_empty() {
        let mut decoder = DecoderV1::new(Cursor::new(rest));
        let message =
            Message::decode(&mut decoder).map_err(|e| ProtocolError::Malformed(e.to_string()))?;
        messages.push(classify(message)?);
        let consumed = rest.len()
            - decoder
                .read_to_end()
                .map_err(|e| ProtocolError::Malformed(e.to_string()))?
                .len();
        rest = &rest[consumed..];
    }
    Ok(messages)
}

fn classify(message: Message) -> Result<Incoming, ProtocolError> {
    Ok(match message {
        Message::Sync(SyncMessage::SyncStep1(sv)) => Incoming::SyncStep1(sv),
        Message::Sync(SyncMessage::SyncStep2(raw)) | Message::Sync(SyncMessage::Update(raw)) => {
            let update =
                Update::decode_v1(&raw).map_err(|e| ProtocolError::InvalidUpdate(e.to_string()))?;
            Incoming::Update { raw, update }
        }
        Message::Awareness(update) => Incoming::Awareness(update),
        Message::AwarenessQuery => Incoming::QueryAwareness,
        Message::Auth(_) => Incoming::Auth,
        Message::Custom(tag, _) => return Err(ProtocolError::UnknownMessageType(tag)),
    })
}

/// Encodes one outgoing message as a frame.
pub fn encode(message: &Message) -> bytes::Bytes {
    bytes::Bytes::from(message.encode_v1())
}

/// The frame telling a client its change was refused (y-protocols auth, permission denied).
pub fn permission_denied(reason: &str) -> bytes::Bytes {
    encode(&Message::Auth(Some(reason.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Doc, ReadTxn, Text, Transact};

    fn update_frame() -> (Vec<u8>, Vec<u8>) {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("t");
        text.insert(&mut doc.transact_mut(), 0, "hei");
        let update = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let frame = Message::Sync(SyncMessage::Update(update.clone())).encode_v1();
        (frame, update)
    }

    #[test]
    fn decodes_an_update_and_keeps_its_bytes() {
        let (frame, update) = update_frame();
        let messages = decode_frame(&frame).expect("valid frame");
        assert!(matches!(&messages[..], [Incoming::Update { raw, .. }] if *raw == update));
    }

    #[test]
    fn decodes_several_messages_in_one_frame() {
        let (mut frame, _) = update_frame();
        frame.extend(Message::AwarenessQuery.encode_v1());
        let messages = decode_frame(&frame).expect("valid frame");
        assert_eq!(messages.len(), 2);
        assert!(matches!(messages[1], Incoming::QueryAwareness));
    }

    #[test]
    fn refuses_truncated_frames_whole() {
        let (frame, _) = update_frame();
        for cut in 1..frame.len() {
            assert!(
                decode_frame(&frame[..cut]).is_err(),
                "a frame cut at {cut} of {} bytes must be refused",
                frame.len()
            );
        }
        // A varint whose continuation bit promises more bytes that never come.
        assert!(matches!(
            decode_frame(&[0x80]),
            Err(ProtocolError::Malformed(_))
        ));
    }

    #[test]
    fn refuses_unknown_types_and_garbage_updates() {
        assert!(matches!(
            decode_frame(&[7, 0]),
            Err(ProtocolError::UnknownMessageType(7))
        ));
        assert!(matches!(decode_frame(&[]), Err(ProtocolError::Empty)));
        let garbage = Message::Sync(SyncMessage::Update(vec![5, 200, 1, 2, 3])).encode_v1();
        assert!(matches!(
            decode_frame(&garbage),
            Err(ProtocolError::InvalidUpdate(_))
        ));
    }
}
