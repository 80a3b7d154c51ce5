// The units of a token's scope: those its members come from, and those co-building with its
// organizations (one that has sent nobody yet included). Every edge counts, whatever its dates.
// $members: [member id]; $orgs: [org id] of the scope
// returns: unit id
MATCH (m:Member)-[:EMPLOYED_BY]->(u:Unit)
WHERE m.id IN $members
RETURN DISTINCT u.id AS unit
UNION
MATCH (u:Unit)-[:CO_BUILDS]->(o:Org)
WHERE o.id IN $orgs
RETURN DISTINCT u.id AS unit
