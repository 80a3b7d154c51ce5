// Idle units: a CO_BUILDS edge valid on the day, but none of the unit's employees has a SUNK_TO valid on it.
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: unit
MATCH (u:Unit)-[b:CO_BUILDS]->(:Org)
WHERE (b.since = '' OR b.since <= $day) AND (b.until IS NULL OR $day <= b.until)
WITH DISTINCT u
OPTIONAL MATCH (m:Member)-[:EMPLOYED_BY]->(u)
OPTIONAL MATCH (m)-[s:SUNK_TO]->(:Org)
WHERE (s.since = '' OR s.since <= $day) AND (s.until IS NULL OR $day <= s.until)
WITH u, count(s) AS sunk
WHERE sunk = 0
RETURN u.id AS unit
ORDER BY unit
