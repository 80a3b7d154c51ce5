// The API's tokens, one node each, kept apart from the network under their own label; numbered from
// the meta node in the same statement, so that they list in the order they were made.
// $id, $hash, $role, $areas (JSON text), $pii, $created, $expires (ISO time in UTC, or null: valid until
// revoked): a new token (the secret itself is never stored)
MATCH (m:OrgGraphMeta {id: 'meta'})
SET m.tokens = coalesce(m.tokens, 0) + 1
WITH m.tokens AS seq
CREATE (t:OrgGraphToken {id: $id, seq: seq, hash: $hash, role: $role, areas: $areas, pii: $pii, created: $created})
SET t.expires = $expires
