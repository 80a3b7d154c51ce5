// The token kept with this hash (the SHA-256 of its secret): asked by every request, found by an index.
// $hash
MATCH (t:OrgGraphToken {hash: $hash})
RETURN t.id, t.hash, t.role, t.areas, t.pii, t.created, t.revoked, t.expires
LIMIT 1
