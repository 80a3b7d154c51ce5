// Idle units: a CO_BUILDS edge valid on the day, but none of the unit's employees has a SUNK_TO valid on it.
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: unit
MATCH (u:Unit)-[b:CO_BUILDS]->(:Org)
WHERE {valid:b}
WITH DISTINCT u
OPTIONAL MATCH (m:Member)-[:EMPLOYED_BY]->(u)
OPTIONAL MATCH (m)-[s:SUNK_TO]->(:Org)
WHERE {valid:s}
WITH u, count(s) AS sunk
WHERE sunk = 0
RETURN u.id AS unit
ORDER BY unit
