// The token kept with this id (a session's token).
// $id
MATCH (t:OrgGraphToken {id: $id})
RETURN t.id, t.hash, t.role, t.areas, t.pii, t.created, t.revoked, t.expires
LIMIT 1
