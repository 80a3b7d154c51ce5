// Every token, oldest first.
MATCH (t:OrgGraphToken)
RETURN t.id, t.hash, t.role, t.areas, t.pii, t.created, t.revoked, t.expires
ORDER BY t.seq
