// The units the members within a token's areas come from.
// $members: [member id]
// returns: unit id
MATCH (m:Member)-[:EMPLOYED_BY]->(u:Unit)
WHERE m.id IN $members
RETURN DISTINCT u.id
