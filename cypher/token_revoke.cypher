// Revoke an active token; returns 1 if there was one.
// $id: the token's id; $when: the time of revoking
MATCH (t:OrgGraphToken {id: $id})
WHERE t.revoked IS NULL
SET t.revoked = $when
RETURN count(t)
