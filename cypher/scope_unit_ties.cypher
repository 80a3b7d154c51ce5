// The ties that decide whether a token may change its units (see orggraph.access.Scope): each unit's
// co-building organizations and its employees; the caller keeps a unit whose every tie it may change.
// $units: [unit id] of the scope
// returns: type ('CO_BUILDS' or 'EMPLOYED_BY'), unit, other (org or member id)
MATCH (u:Unit)-[:CO_BUILDS]->(o:Org)
WHERE u.id IN $units
RETURN DISTINCT 'CO_BUILDS' AS type, u.id AS unit, o.id AS other
UNION
MATCH (m:Member)-[:EMPLOYED_BY]->(u:Unit)
WHERE u.id IN $units
RETURN DISTINCT 'EMPLOYED_BY' AS type, u.id AS unit, m.id AS other
